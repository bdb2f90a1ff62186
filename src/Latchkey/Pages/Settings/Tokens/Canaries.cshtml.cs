using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>
/// Settings → Developer settings → Personal access tokens → Canary tokens: tokens made to be found.
/// A new one is shown once, exactly like a real token; the list says how often each was tripped.
/// </summary>
[Authorize]
[RequireSudo("POST", "Delete")]
public sealed class CanaryTokensModel(UserManager<User> users, CanaryTokens canaries, TokenIssuer tokens) : LatchkeyPageModel
{
    public const string NewTokenKey = "NewCanary";
    public const string NewTokenIdKey = "NewCanaryId";

    public IReadOnlyList<PersonalAccessToken> Canaries { get; private set; } = [];
    public (long Id, string Plaintext)? NewToken { get; private set; }
    public bool HandoverSpent { get; private set; }
    public bool IsSiteAdmin { get; private set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [TempData]
    public string? Flash { get; set; }

    public sealed class InputModel
    {
        public string? Note { get; set; }

        /// <summary>classic or fine_grained: the format the canary looks like.</summary>
        public string? Format { get; set; }

        /// <summary>A site canary (site administrators only): every site administrator is mailed when it is tripped.</summary>
        public bool Site { get; set; }
    }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        Response.Headers.CacheControl = "no-store";
        IsSiteAdmin = user.IsSiteAdmin;
        var handover = await NewTokenHandover.ReadAsync(TempData, NewTokenKey, NewTokenIdKey, tokens, user.Id, HttpContext.RequestAborted);
        (NewToken, HandoverSpent) = (handover.Shown, handover.Spent);
        Canaries = await canaries.ListAsync(user.Id, HttpContext.RequestAborted);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        TokenForm.ReportBindingErrors(ModelState);
        var note = TokenForm.CheckNote(Input.Note, ModelState);
        TokenKind? kind = Input.Format switch
        {
            "classic" => TokenKind.Classic,
            "fine_grained" => TokenKind.FineGrained,
            _ => null,
        };
        if (kind is null)
            ModelState.AddModelError(string.Empty, "Choose the format the canary looks like: classic or fine-grained.");
        if (Input.Site && !user.IsSiteAdmin)
            ModelState.AddModelError(string.Empty, CanaryTokens.SiteCanaryRefusal);
        if (!ModelState.IsValid)
        {
            IsSiteAdmin = user.IsSiteAdmin;
            Canaries = await canaries.ListAsync(user.Id, HttpContext.RequestAborted);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        var (token, plaintext) = await canaries.CreateAsync(user, note!, kind!.Value, HttpContext.RequestAborted, site: Input.Site);
        TempData[NewTokenKey] = plaintext;
        TempData[NewTokenIdKey] = token.Id.ToString(CultureInfo.InvariantCulture);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (!await canaries.DeleteAsync(user.Id, id, HttpContext.RequestAborted))
            return NotFound();
        Flash = "Deleted canary token.";
        return RedirectToPage();
    }

    public static string Describe(PersonalAccessToken canary) => canary.CanaryTrips switch
    {
        0 => "Never tripped",
        1 => $"Tripped once, on {EditTokenModel.Exact(canary.CanaryLastTrippedAt!.Value)}",
        var n => $"Tripped {n} times, last on {EditTokenModel.Exact(canary.CanaryLastTrippedAt!.Value)}",
    };
}
