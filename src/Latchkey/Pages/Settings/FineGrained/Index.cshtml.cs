using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.Pages.Settings.Tokens;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Pages.Settings.FineGrained;

/// <summary>The fine-grained tokens list; a token just made or regenerated is shown here once.</summary>
[Authorize]
public sealed class FineGrainedTokensModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock, LatchkeyDb db,
    IOptions<Latchkey.Tokens.TokenOptions> options) : LatchkeyPageModel
{
    /// <summary>Set by the new-token and regenerate forms for exactly one following view. Not the classic keys: each list shows only its own.</summary>
    public const string NewTokenKey = "NewFineGrainedToken";
    public const string NewTokenIdKey = "NewFineGrainedTokenId";

    public IReadOnlyList<PersonalAccessToken> Tokens { get; private set; } = [];
    public (long Id, string Plaintext)? NewToken { get; private set; }

    /// <summary>The flash named a secret already shown once: it is not shown again.</summary>
    public bool HandoverSpent { get; private set; }
    public int Limit => options.Value.MaxFineGrainedPerUser;
    private DateTime _now;
    private Dictionary<long, int> _selected = [];

    [TempData]
    public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        // A page that can show a secret must never be cached.
        Response.Headers.CacheControl = "no-store";
        _now = clock.GetUtcNow().UtcDateTime;
        Tokens = await tokens.ListAsync(user.Id, TokenKind.FineGrained, HttpContext.RequestAborted);
        var ids = Tokens.Where(t => t.RepositoryAccess == RepositoryAccess.Selected).Select(t => t.Id).ToList();
        _selected = await db.Set<TokenRepository>().Where(r => ids.Contains(r.TokenId))
            .GroupBy(r => r.TokenId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, HttpContext.RequestAborted);
        var handover = await NewTokenHandover.ReadAsync(TempData, NewTokenKey, NewTokenIdKey, tokens, user.Id, HttpContext.RequestAborted);
        (NewToken, HandoverSpent) = (handover.Shown, handover.Spent);
        return Page();
    }

    public string DescribeReach(PersonalAccessToken token) =>
        FineGrainedForm.DescribeReach(token.RepositoryAccess, _selected.GetValueOrDefault(token.Id));

    public bool IsExpired(PersonalAccessToken token) => lifetime.EffectiveExpiry(token) is { } at && _now >= at;

    public string DescribeExpiry(PersonalAccessToken token) => lifetime.EffectiveExpiry(token) switch
    {
        null => "No expiration",
        { } at when _now >= at => "Expired on " + TokensIndexModel.FormatDate(at),
        { } at => "Expires on " + TokensIndexModel.FormatDate(at),
    };

    public string DescribeLastUsed(PersonalAccessToken token)
    {
        if (token.LastUsedAt is not { } used)
            return "Never used";
        return _now - used < TimeSpan.FromDays(7) ? "Last used within the last week" : "Last used on " + TokensIndexModel.FormatDate(used);
    }
}
