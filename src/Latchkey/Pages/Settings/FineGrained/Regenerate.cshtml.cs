using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Pages.Settings.Tokens;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.FineGrained;

/// <summary>A new secret with the same name, repositories and permissions and a new expiry, which is required.</summary>
[Authorize]
[RequireSudo]
public sealed class RegenerateFineGrainedTokenModel(UserManager<User> users, TokenService tokens, TokenLifetimePolicy lifetime, TimeProvider clock) : LatchkeyPageModel
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
        if (!lifetime.TryResolveRequired(Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime, out var expiresAt, out var error))
            ModelState.AddModelError(string.Empty, error!);
        if (!ModelState.IsValid)
            return FormErrors();
        var plaintext = await tokens.RegenerateAsync(user.Id, id, expiresAt, HttpContext.RequestAborted);
        if (plaintext is null)
            return NotFound();
        TempData[FineGrainedTokensModel.NewTokenKey] = plaintext;
        TempData[FineGrainedTokensModel.NewTokenIdKey] = id.ToString(CultureInfo.InvariantCulture);
        return RedirectToPage("Index");
    }

    private async Task<bool> LoadAsync(User user, long id)
    {
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.FineGrained } token)
            return false;
        Token = token;
        Expiration = FineGrainedForm.Picker(lifetime, Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime);
        return true;
    }
}
