using System.Globalization;
using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class SecurityLogModel(UserManager<User> users, SecurityLogWriter log) : LatchkeyPageModel
{
    public const int PerPage = 50;
    public const int MaxPage = 10_000;

    public IReadOnlyList<SecurityEvent> Entries { get; private set; } = [];
    public int PageNumber { get; private set; } = 1;
    public bool HasMore { get; private set; }

    /// <summary>The search, as GitHub's audit log writes it: <c>hashed_token:"BASE64"</c>.</summary>
    public string Query { get; private set; } = "";

    public string? HashedToken { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] string? page, [FromQuery(Name = "q")] string? q)
    {
        if (!string.IsNullOrWhiteSpace(q))
        {
            var match = System.Text.RegularExpressions.Regex.Match(q.Trim(), "^hashed_token:\"?([A-Za-z0-9+/]{43}=)\"?$");
            if (!match.Success)
                return BadRequest("Search for one token's events with hashed_token:\"BASE64\" (the base64 SHA-256 of the token), or paste the token into the form.");
            HashedToken = match.Groups[1].Value;
            Query = $"hashed_token:\"{HashedToken}\"";
        }
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > MaxPage))
            return BadRequest($"page must be a whole number from 1 to {MaxPage}.");
        PageNumber = page is null ? 1 : int.Parse(page, CultureInfo.InvariantCulture);
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        (var entries, HasMore) = await log.PageAsync(user.Id, PageNumber, PerPage, HttpContext.RequestAborted, HashedToken);
        Entries = entries;
        return Page();
    }

    /// <summary>
    /// "Find a token's events": the pasted token is hashed on arrival and only its hash goes on, in
    /// the search the page redirects to; the token itself is never stored, logged or put in a URL.
    /// </summary>
    public IActionResult OnPostFind(string? token)
    {
        token = token?.Trim() ?? "";
        if (!Latchkey.Tokens.TokenFormat.TryParse(token, out _))
        {
            ModelState.AddModelError("token", "That is not a Latchkey token (lkp_… or lkf_…, 40 characters).");
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        return Redirect("/settings/security-log?q=" + Uri.EscapeDataString($"hashed_token:\"{Latchkey.Tokens.TokenFormat.Hashed(token)}\""));
    }
}
