using System.Globalization;
using Latchkey.Authorization;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Pages.SiteAdmin;

/// <summary>
/// Site admin → Security log: every account's entries, newest first, searched as GitHub's audit log
/// is (<see cref="AuditLogSearch"/>, the same as <c>GET /api/v3/admin/audit-log</c>); "Find a token's
/// events" takes a pasted token by POST and hashes it on arrival.
/// </summary>
[Authorize]
public sealed class SiteAdminSecurityLogModel(WebCaller callers, AuditLogSearch search) : LatchkeyPageModel
{
    public const int PerPage = 50;

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public int PageNumber { get; private set; } = 1;
    public bool HasMore { get; private set; }
    public string Query { get; private set; } = "";

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var caller = await callers.GetAsync(HttpContext);
        if (WebRefusal.For(this, AccessPolicy.DecideSiteAdmin(caller)) is { } refusal)
        {
            context.Result = refusal;
            return;
        }
        await next();
    }

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "q")] string? q, [FromQuery(Name = "page")] string? page)
    {
        Query = q?.Trim() ?? "";
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 10_000))
        {
            ModelState.AddModelError(string.Empty, "page must be a whole number from 1 to 10000.");
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        PageNumber = page is null ? 1 : int.Parse(page, CultureInfo.InvariantCulture);
        var (entries, error) = search.Search(Query);
        if (entries is null)
        {
            ModelState.AddModelError(string.Empty, error!);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        var rows = await entries.Skip((PageNumber - 1) * PerPage).Take(PerPage + 1).ToListAsync(HttpContext.RequestAborted);
        HasMore = rows.Count > PerPage;
        Entries = rows.Take(PerPage).ToList();
        return Page();
    }

    /// <summary>The pasted token is hashed here; only its hash goes on, in the search the page redirects to.</summary>
    public IActionResult OnPostFind(string? token)
    {
        token = token?.Trim() ?? "";
        if (!Latchkey.Tokens.TokenFormat.TryParse(token, out _))
        {
            ModelState.AddModelError("token", "That is not a Latchkey token (lkp_… or lkf_…, 40 characters).");
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        return Redirect("/site-admin/security-log?q=" + Uri.EscapeDataString($"hashed_token:\"{Latchkey.Tokens.TokenFormat.Hashed(token)}\""));
    }

    public string PageLink(int page) => $"/site-admin/security-log?page={page}" + (Query.Length > 0 ? "&q=" + Uri.EscapeDataString(Query) : "");
}
