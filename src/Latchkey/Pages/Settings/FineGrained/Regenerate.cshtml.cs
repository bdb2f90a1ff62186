using Latchkey.Accounts;
using Latchkey.Pages.Settings.Tokens;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Pages.Settings.FineGrained;

/// <summary>A new secret with the same name, repositories and permissions and a new expiry, which is required.</summary>
[Authorize]
[RequireSudo]
public sealed class RegenerateFineGrainedTokenModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock)
    : RegeneratePageModel(users, tokens, lifetime, clock)
{
    protected override TokenKind Kind => TokenKind.FineGrained;

    protected override (string Page, string TokenKey, string IdKey) ShownOn =>
        ("/settings/personal-access-tokens", FineGrainedTokensModel.NewTokenKey, FineGrainedTokensModel.NewTokenIdKey);

    protected override ExpirationPicker Picker(KindLifetime rules, string? choice, DateOnly? customDate, DateTime nowUtc) =>
        FineGrainedForm.Picker(rules, choice, customDate, nowUtc);
}
