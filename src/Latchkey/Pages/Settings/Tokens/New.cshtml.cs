using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

[Authorize]
[RequireSudo]
public sealed class NewTokenModel(UserManager<User> users, TokenService tokens, TimeProvider clock) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public IReadOnlyList<ScopeInfo> OfferedScopes { get; private set; } = [];
    public string ExpirationNote { get; private set; } = "";
    public string MinCustomDate { get; private set; } = "";
    public string MaxCustomDate { get; private set; } = "";

    public sealed class InputModel
    {
        public string? Note { get; set; }
        public string? Expiration { get; set; } = TokenRules.DefaultExpiration;
        public DateOnly? CustomDate { get; set; }
        public List<string> Scopes { get; set; } = [];
    }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        Describe(user);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        Describe(user);

        // Model binding problems (say a custom date that is not a date) are reported, not thrown.
        foreach (var key in ModelState.Keys.Where(k => ModelState[k]!.Errors.Count > 0).ToList())
        {
            ModelState.Remove(key);
            ModelState.AddModelError(string.Empty, key.EndsWith("CustomDate", StringComparison.Ordinal)
                ? "The custom expiration date is not a valid date."
                : $"The field {key} is not valid.");
        }

        var note = Input.Note?.Trim();
        if (string.IsNullOrEmpty(note))
            ModelState.AddModelError(string.Empty, "Note can't be blank.");
        else if (note.Length > TokenRules.MaxNoteLength)
            ModelState.AddModelError(string.Empty, $"Note is too long (maximum is {TokenRules.MaxNoteLength} characters).");

        foreach (var scope in Input.Scopes.Distinct(StringComparer.Ordinal))
        {
            var known = Scopes.Find(scope);
            if (known is null)
                ModelState.AddModelError(string.Empty, $"Unknown scope: {scope}.");
            else if (known.AdminOnly && !user.IsSiteAdmin)
                ModelState.AddModelError(string.Empty, $"Only site administrators may grant the {scope} scope.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (!TokenRules.TryResolveExpiration(Input.Expiration, Input.CustomDate, now, out var expiresAt, out var expiryError))
            ModelState.AddModelError(string.Empty, expiryError!);

        if (!ModelState.IsValid)
            return FormErrors();

        var (token, plaintext) = await tokens.CreateClassicAsync(user.Id, note!, Input.Scopes, expiresAt, HttpContext.RequestAborted);
        TempData[TokensIndexModel.NewTokenKey] = plaintext;
        TempData[TokensIndexModel.NewTokenIdKey] = token.Id.ToString(CultureInfo.InvariantCulture);
        return RedirectToPage("Index");
    }

    private void Describe(User user)
    {
        OfferedScopes = Scopes.All.Where(s => !s.AdminOnly || user.IsSiteAdmin).ToList();
        var now = clock.GetUtcNow().UtcDateTime;
        Input.Expiration ??= TokenRules.DefaultExpiration;
        ExpirationNote = Input.Expiration switch
        {
            "none" => "The token will never expire!",
            "custom" => "",
            _ when TokenRules.TryResolveExpiration(Input.Expiration, null, now, out var at, out _) && at is { } when =>
                "The token will expire on " + TokensIndexModel.FormatDate(when),
            _ => "",
        };
        MinCustomDate = DateOnly.FromDateTime(now).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        MaxCustomDate = TokenRules.LatestCustomDate(now).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}
