using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>A new secret, same note and scopes, a newly chosen expiration. The link expiry reminders point to.</summary>
[Authorize]
[RequireSudo]
public sealed class RegenerateTokenModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock)
    : RegeneratePageModel(users, tokens, lifetime, clock)
{
    // A fine-grained token has its own pages (and may not lose its expiry here).
    protected override TokenKind Kind => TokenKind.Classic;

    protected override (string Page, string TokenKey, string IdKey) ShownOn => ("/settings/tokens", TokensIndexModel.NewTokenKey, TokensIndexModel.NewTokenIdKey);

    protected override ExpirationPicker Picker(KindLifetime rules, string? choice, DateOnly? customDate, DateTime nowUtc) =>
        TokenForm.Picker(rules, choice, customDate, nowUtc);
}
