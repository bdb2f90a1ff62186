using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

[Authorize]
[RequireSudo]
public sealed class NewTokenModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public IReadOnlyList<ScopeInfo> OfferedScopes { get; private set; } = [];
    public ExpirationPicker Expiration { get; private set; } = null!;

    /// <summary>The site's token policy disables classic tokens: the page says so instead of showing the form.</summary>
    public bool ClassicDisabled => !lifetime.Current.ClassicAllowed;

    public sealed class InputModel
    {
        public string? Note { get; set; }
        public string? Expiration { get; set; }
        public DateOnly? CustomDate { get; set; }
        public List<string> Scopes { get; set; } = [];
        public string? AllowedNetworks { get; set; }
    }

    /// <summary>
    /// As GitHub's form: <c>?scopes=repo,gist&amp;description=VS%20Code</c> (links from gh, VS Code, READMEs) ticks
    /// those scopes and fills the note. Unknown scopes, and those this person may not grant, are left out;
    /// nothing is created until they click Generate.
    /// </summary>
    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "scopes")] string? scopes, [FromQuery(Name = "description")] string? description)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        Describe(user);
        if (scopes is not null)
        {
            var offered = OfferedScopes.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            Input.Scopes = scopes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(offered.Contains).Distinct(StringComparer.Ordinal).ToList();
        }
        if (!string.IsNullOrWhiteSpace(description))
        {
            var note = new string(description.Trim().Where(c => !char.IsControl(c)).ToArray());
            Input.Note = note.Length > TokenRules.MaxNoteLength ? note[..TokenRules.MaxNoteLength] : note;
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        Describe(user);

        TokenForm.ReportBindingErrors(ModelState);
        var note = TokenForm.CheckNote(Input.Note, ModelState);
        TokenForm.CheckScopes(Input.Scopes, user, ModelState);
        if (!lifetime.Classic.TryResolve(Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime, out var expiresAt, out var expiryError))
            ModelState.AddModelError(string.Empty, expiryError!);
        var networks = TokenForm.CheckNetworks(Input.AllowedNetworks, ModelState);

        if (!ModelState.IsValid)
            return FormErrors();

        var (token, plaintext, error) = await tokens.CreateClassicAsync(user, note!, Input.Scopes, expiresAt, HttpContext.RequestAborted, networks);
        if (error is not null)
            return FormErrors(error);
        TempData[TokensIndexModel.NewTokenKey] = plaintext;
        TempData[TokensIndexModel.NewTokenIdKey] = token!.Id.ToString(CultureInfo.InvariantCulture);
        return RedirectToPage("Index");
    }

    private void Describe(User user)
    {
        OfferedScopes = TokenForm.ScopesOfferedTo(user);
        Expiration = TokenForm.Picker(lifetime.Classic, Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime);
    }
}
