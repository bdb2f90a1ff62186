using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>
/// Regenerating a token, classic or fine-grained: a new secret with the same name and rights and a
/// newly chosen expiry; the old secret dies at once, or when the chosen overlap ends (the new secret is
/// then a new token, as <c>POST /api/v3/user/token/rotate</c> makes), and the new one is shown once on the list page.
/// The two kinds differ only in which expiries they accept and where they are listed.
/// </summary>
public abstract class RegeneratePageModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public PersonalAccessToken Token { get; private set; } = null!;
    public ExpirationPicker Expiration { get; private set; } = null!;

    public sealed class InputModel
    {
        public string? Expiration { get; set; }
        public DateOnly? CustomDate { get; set; }

        /// <summary>How long the old secret keeps working: 0 (it stops at once), 3600 or 86400 seconds.</summary>
        public string? OverlapSeconds { get; set; }
    }

    /// <summary>The overlap choices: what a deployment needs to switch without a failed request.</summary>
    public static IReadOnlyList<(string Seconds, string Label)> OverlapChoices { get; } =
    [
        ("0", "No overlap: the old secret stops at once"),
        ("3600", "1 hour"),
        ("86400", "1 day"),
    ];

    /// <summary>The kind of token this page regenerates; another kind's id is not found here.</summary>
    protected abstract TokenKind Kind { get; }

    /// <summary>Where the new secret is shown, and under which TempData keys.</summary>
    protected abstract (string Page, string TokenKey, string IdKey) ShownOn { get; }

    protected abstract ExpirationPicker Picker(KindLifetime rules, string? choice, DateOnly? customDate, DateTime nowUtc);

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
        if (!lifetime.For(Kind).TryResolve(Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime, out var expiresAt, out var error))
            ModelState.AddModelError(string.Empty, error!);
        var overlap = Input.OverlapSeconds ?? "0";
        if (!OverlapChoices.Any(c => c.Seconds == overlap))
            ModelState.AddModelError(string.Empty, "Choose how long the old secret keeps working: no overlap, 1 hour or 1 day.");
        if (!ModelState.IsValid)
            return FormErrors();
        var (pageName, tokenKey, idKey) = ShownOn;
        if (overlap != "0")
        {
            var (replacement, secret, problem) = await tokens.RegenerateWithOverlapAsync(user.Id, id, expiresAt,
                TimeSpan.FromSeconds(int.Parse(overlap, CultureInfo.InvariantCulture)), HttpContext.RequestAborted);
            if (problem is not null)
            {
                ModelState.AddModelError(string.Empty, problem);
                return FormErrors();
            }
            if (replacement is null)
                return NotFound();
            TempData[tokenKey] = secret;
            TempData[idKey] = replacement.Id.ToString(CultureInfo.InvariantCulture);
            return Redirect(pageName);
        }
        var (plaintext, refused) = await tokens.RegenerateAsync(user.Id, id, expiresAt, HttpContext.RequestAborted);
        if (refused is not null)
        {
            ModelState.AddModelError(string.Empty, refused);
            return FormErrors();
        }
        if (plaintext is null)
            return NotFound();
        TempData[tokenKey] = plaintext;
        TempData[idKey] = id.ToString(CultureInfo.InvariantCulture);
        return Redirect(pageName);
    }

    private async Task<bool> LoadAsync(User user, long id)
    {
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { } token || token.Kind != Kind)
            return false;
        Token = token;
        Expiration = Picker(lifetime.For(Kind), Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime);
        return true;
    }
}
