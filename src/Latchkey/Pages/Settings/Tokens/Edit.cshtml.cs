using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>One token: its details, and its note and scopes to edit (GitHub lets classic tokens change scopes).</summary>
[Authorize]
[RequireSudo("POST")]
public sealed class EditTokenModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock, TokenUsageReports usage) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public PersonalAccessToken Token { get; private set; } = null!;
    public IReadOnlyList<ScopeInfo> OfferedScopes { get; private set; } = [];
    public string ExpiryText { get; private set; } = "";
    public bool IsExpired { get; private set; }
    public TokenUsageSection Usage { get; private set; } = null!;

    [TempData]
    public string? Flash { get; set; }

    public sealed class InputModel
    {
        public string? Note { get; set; }
        public List<string> Scopes { get; set; } = [];
        public string? AllowedNetworks { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (!await LoadAsync(user, id))
            return NotFound();
        Input = new InputModel { Note = Token.Note, Scopes = Token.ScopeList.ToList(), AllowedNetworks = TokenForm.NetworksText(Token) };
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (!await LoadAsync(user, id))
            return NotFound();
        TokenForm.ReportBindingErrors(ModelState);
        var note = TokenForm.CheckNote(Input.Note, ModelState);
        TokenForm.CheckScopes(Input.Scopes, user, ModelState);
        var networks = TokenForm.CheckNetworks(Input.AllowedNetworks, ModelState);
        if (!ModelState.IsValid)
            return FormErrors();
        if (await tokens.UpdateAsync(user, id, note!, Input.Scopes, HttpContext.RequestAborted) is { } error)
            return FormErrors(error);
        await tokens.SetNetworksAsync(user.Id, id, networks!, HttpContext.RequestAborted);
        Flash = "Updated personal access token.";
        return RedirectToPage(new { id });
    }

    /// <summary>"Narrow to what it used": the advisor's least scopes for what the token did (takes away only, so no sudo).</summary>
    public async Task<IActionResult> OnPostNarrowAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (!await LoadAsync(user, id))
            return NotFound();
        if (await usage.NarrowAsync(user, Token, HttpContext.RequestAborted) is { } error)
        {
            Input = new InputModel { Note = Token.Note, Scopes = Token.ScopeList.ToList(), AllowedNetworks = TokenForm.NetworksText(Token) };
            return FormErrors(error);
        }
        Flash = "Narrowed the token to what it used.";
        return RedirectToPage(new { id });
    }

    private async Task<bool> LoadAsync(User user, long id)
    {
        // A fine-grained token has its own pages (and may not lose its expiry here).
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.Classic } token)
            return false;
        Token = token;
        OfferedScopes = TokenForm.ScopesOfferedTo(user);
        Usage = new TokenUsageSection(token, await usage.ForAsync(token, HttpContext.RequestAborted));
        var expiry = lifetime.EffectiveExpiry(token);
        IsExpired = expiry is { } e && clock.GetUtcNow().UtcDateTime >= e;
        ExpiryText = expiry switch
        {
            null => "This token has no expiration date.",
            { } at when IsExpired => $"This token expired on {Exact(at)}.",
            { } at => $"This token expires on {Exact(at)}.",
        };
        return true;
    }

    public static string Exact(DateTime utc) => utc.ToString("ddd, MMM d yyyy HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
