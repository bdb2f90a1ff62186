using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>A new secret, same note and scopes, a newly chosen expiration. The link expiry reminders point to.</summary>
[Authorize]
[RequireSudo]
public sealed class RegenerateTokenModel(UserManager<User> users, TokenService tokens, TokenLifetimePolicy lifetime, TimeProvider clock) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public PersonalAccessToken Token { get; private set; } = null!;
    public ExpirationPicker Expiration { get; private set; } = null!;

    public sealed class InputModel
    {
        public string? Expiration { get; set; }
        public DateOnly? CustomDate { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        return await LoadAsync(user, id) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (!await LoadAsync(user, id))
            return NotFound();
        TokenForm.ReportBindingErrors(ModelState);
        if (!lifetime.TryResolve(Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime, out var expiresAt, out var error))
            ModelState.AddModelError(string.Empty, error!);
        if (!ModelState.IsValid)
            return FormErrors();
        var plaintext = await tokens.RegenerateAsync(user.Id, id, expiresAt, HttpContext.RequestAborted);
        if (plaintext is null)
            return NotFound();
        TempData[TokensIndexModel.NewTokenKey] = plaintext;
        TempData[TokensIndexModel.NewTokenIdKey] = id.ToString(CultureInfo.InvariantCulture);
        return Redirect("/settings/tokens");
    }

    private async Task<bool> LoadAsync(User user, long id)
    {
        // A fine-grained token has its own pages (and may not lose its expiry here).
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.Classic } token)
            return false;
        Token = token;
        Expiration = TokenForm.Picker(lifetime, Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime);
        return true;
    }
}
