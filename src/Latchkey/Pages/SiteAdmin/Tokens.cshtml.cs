using System.Globalization;
using System.Text;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Pages.SiteAdmin;

/// <summary>
/// Site admin → Tokens: every account's tokens, with the inventory API's filters (the same query,
/// <see cref="TokenInventory"/>), bulk revocation (sudo mode) and a CSV export of what the filters select.
/// </summary>
[Authorize]
[RequireSudo("Revoke")]
public sealed class SiteAdminTokensModel(WebCaller callers, TokenInventory inventory, TokenIssuer issuer, TokenLifetimePolicy lifetime, TimeProvider clock)
    : LatchkeyPageModel
{
    public const int PageSize = 100;

    private User? _admin;

    public IReadOnlyList<PersonalAccessToken> List { get; private set; } = [];
    public int Total { get; private set; }
    public int PageNumber { get; private set; } = 1;
    public DateTime Now { get; private set; }
    public TokenLifetimePolicy Lifetime => lifetime;

    [TempData]
    public string? Flash { get; set; }

    /// <summary>The filters as they came, to keep in the form, the paging links and the export link.</summary>
    public string Filter(string name) => Request.Query[name].ToString();

    public string QueryWith(string? handler = null, int? page = null)
    {
        var pairs = Request.Query.Where(q => q.Key is not ("handler" or "page") && q.Value.ToString().Length > 0)
            .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}").ToList();
        if (handler is not null)
            pairs.Insert(0, "handler=" + handler);
        if (page is not null)
            pairs.Add("page=" + page.Value.ToString(CultureInfo.InvariantCulture));
        return pairs.Count == 0 ? "" : "?" + string.Join('&', pairs);
    }

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var caller = await callers.GetAsync(HttpContext);
        if (WebRefusal.For(this, AccessPolicy.DecideSiteAdmin(caller)) is { } refusal)
        {
            context.Result = refusal;
            return;
        }
        _admin = caller.User;
        Now = clock.GetUtcNow().UtcDateTime;
        await next();
    }

    public async Task<IActionResult> OnGetAsync()
    {
        var (tokens, problem) = await inventory.FilterAsync(Request.Query, HttpContext.RequestAborted);
        if (tokens is null)
        {
            ModelState.AddModelError(problem!.Value.Field, problem.Value.Message);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        if (!int.TryParse(Filter("page") is { Length: > 0 } p ? p : "1", NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            number = 1;
        PageNumber = number;
        Total = await tokens.CountAsync(HttpContext.RequestAborted);
        List = await tokens.OrderBy(t => t.Id).Skip((number - 1) * PageSize).Take(PageSize).Include(t => t.User).ToListAsync(HttpContext.RequestAborted);
        return Page();
    }

    /// <summary>What the filters select, as CSV (never a secret), read from the database a chunk at a time.</summary>
    public async Task<IActionResult> OnGetCsvAsync()
    {
        var (tokens, problem) = await inventory.FilterAsync(Request.Query, HttpContext.RequestAborted);
        if (tokens is null)
            return BadRequest(problem!.Value.Message);
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=latchkey-tokens-{Now:yyyy-MM-dd}.csv";
        await using var writer = new StreamWriter(Response.Body, new UTF8Encoding(false));
        await writer.WriteAsync("id,type,name,owner,token_last_eight,scopes_or_permissions,created_at,expires_at,state,last_used_at,last_used_ip_network\n");
        long after = 0;
        while (true)
        {
            var chunk = await tokens.Where(t => t.Id > after).OrderBy(t => t.Id).Take(500).Include(t => t.User).ToListAsync(HttpContext.RequestAborted);
            if (chunk.Count == 0)
                break;
            foreach (var t in chunk)
            {
                var expiry = lifetime.EffectiveExpiry(t);
                await writer.WriteAsync(string.Join(',',
                    t.Id.ToString(CultureInfo.InvariantCulture), Kind(t), Cell(t.Note), Cell(t.User?.UserName ?? ""), t.LastEight,
                    Cell(t.Kind == TokenKind.Classic ? t.Scopes : t.Permissions), Time(t.CreatedAt), Time(expiry),
                    TokenNetworks.StateOf(t, expiry, Now), Time(t.LastUsedAt), TokenNetworks.NetworkOf(t.LastUsedIp) ?? "") + "\n");
            }
            after = chunk[^1].Id;
        }
        return new EmptyResult();
    }

    public async Task<IActionResult> OnPostRevokeAsync(long[] ids)
    {
        if (ids.Length is 0 or > Api.TokenInventoryApi.MaxRevokeIds)
        {
            Flash = ids.Length == 0 ? "Select the tokens to revoke first." : $"Revoke at most {Api.TokenInventoryApi.MaxRevokeIds} tokens at a time.";
            return Redirect("/site-admin/tokens" + QueryWith());
        }
        var revoked = await issuer.RevokeManyAsync(ids.Distinct().ToList(), _admin!, HttpContext.RequestAborted);
        await inventory.MailOwnersAsync(revoked, HttpContext.RequestAborted);
        Flash = $"Revoked {revoked.Count} token{(revoked.Count == 1 ? "" : "s")}. Their owners were told by mail.";
        return Redirect("/site-admin/tokens" + QueryWith());
    }

    public static string Kind(PersonalAccessToken token) => token.Kind == TokenKind.Classic ? "classic" : "fine_grained";

    private static string Time(DateTime? time) => time?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    /// <summary>A CSV cell: quoted when it must be, and never read as a formula by a spreadsheet.</summary>
    private static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
