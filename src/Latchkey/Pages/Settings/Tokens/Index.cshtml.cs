using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

[Authorize]
[RequireSudo("Delete", "RevokeAll")]
public sealed class TokensIndexModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock) : LatchkeyPageModel
{
    /// <summary>Set by the new-token form for exactly one following page view (TempData is read once).</summary>
    public const string NewTokenKey = "NewToken";
    public const string NewTokenIdKey = "NewTokenId";

    public IReadOnlyList<PersonalAccessToken> Tokens { get; private set; } = [];
    public (long Id, string Plaintext)? NewToken { get; private set; }

    /// <summary>The flash named a secret already shown once: it is not shown again.</summary>
    public bool HandoverSpent { get; private set; }
    public DateTime Now { get; private set; }

    [TempData]
    public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        // A page that can show a secret must never be cached.
        Response.Headers.CacheControl = "no-store";
        Now = clock.GetUtcNow().UtcDateTime;
        Tokens = await tokens.ListAsync(user.Id, TokenKind.Classic, HttpContext.RequestAborted);
        var handover = await NewTokenHandover.ReadAsync(TempData, NewTokenKey, NewTokenIdKey, tokens, user.Id, HttpContext.RequestAborted);
        (NewToken, HandoverSpent) = (handover.Shown, handover.Spent);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (!await tokens.DeleteAsync(user.Id, id, HttpContext.RequestAborted))
            return NotFound();
        Flash = "Deleted personal access token.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRevokeAllAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        var count = await tokens.RevokeAllAsync(user.Id, HttpContext.RequestAborted);
        Flash = count == 1 ? "Revoked 1 personal access token." : $"Revoked {count} personal access tokens.";
        return RedirectToPage();
    }

    public bool IsExpired(PersonalAccessToken token) => lifetime.EffectiveExpiry(token) is { } at && Now >= at;

    public string DescribeExpiry(PersonalAccessToken token) => (lifetime.EffectiveExpiry(token), token.RotatedAt) switch
    {
        ({ } at, not null) when Now < at => $"Replaced: the old secret works until {EditTokenModel.Exact(at)}",
        (_, not null) => "Replaced",
        _ => DescribeOwnExpiry(token),
    };

    private string DescribeOwnExpiry(PersonalAccessToken token) => lifetime.EffectiveExpiry(token) switch
    {
        null => "No expiration",
        { } at when Now >= at => "Expired on " + FormatDate(at),
        { } at => "Expires on " + FormatDate(at),
    };

    public string DescribeLastUsed(PersonalAccessToken token)
    {
        if (token.LastUsedAt is not { } used)
            return "Never used";
        var ago = Now - used;
        return ago < TimeSpan.FromDays(7) ? "Last used within the last week" : "Last used on " + FormatDate(used);
    }

    public static string FormatDate(DateTime utc) => utc.ToString("ddd, MMM d yyyy", CultureInfo.InvariantCulture);
}
