using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Latchkey.Pages.SiteAdmin;

/// <summary>
/// Site admin → Token policies: the same policy as <c>/api/v3/admin/token-policies</c>
/// (<see cref="TokenPolicies"/>), changed in sudo mode. The page always works, even while the
/// policy disables the classic tokens an administrator would otherwise call the API with.
/// </summary>
[Authorize]
[RequireSudo("POST")]
public sealed class SiteAdminTokenPoliciesModel(WebCaller callers, TokenPolicies policies) : LatchkeyPageModel
{
    private User? _admin;

    public TokenPolicy Policy { get; private set; } = null!;

    [TempData]
    public string? Flash { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        public bool ClassicAllowed { get; set; }
        public string? ClassicMaxLifetimeDays { get; set; }
        public bool ClassicExpiryRequired { get; set; }
        public string? FineGrainedMaxLifetimeDays { get; set; }
    }

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var caller = await callers.GetAsync(HttpContext);
        if (WebRefusal.For(this, AccessPolicy.DecideSiteAdmin(caller)) is { } refusal)
        {
            context.Result = refusal;
            return;
        }
        _admin = caller.User;
        Policy = await policies.CurrentAsync(HttpContext.RequestAborted);
        await next();
    }

    public IActionResult OnGet()
    {
        Input = new InputModel
        {
            ClassicAllowed = Policy.ClassicAllowed,
            ClassicMaxLifetimeDays = Policy.ClassicMaxLifetimeDays?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ClassicExpiryRequired = Policy.ClassicExpiryRequired,
            FineGrainedMaxLifetimeDays = Policy.FineGrainedMaxLifetimeDays?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        // Unparseable fields (a checkbox sent twice, say) are reported, not thrown.
        foreach (var key in ModelState.Keys.Where(k => ModelState[k]!.Errors.Count > 0).ToList())
        {
            ModelState.Remove(key);
            ModelState.AddModelError(string.Empty, $"{key} could not be read.");
        }
        var classicDays = Days(Input.ClassicMaxLifetimeDays, "Classic tokens: maximum lifetime");
        var fineGrainedDays = Days(Input.FineGrainedMaxLifetimeDays, "Fine-grained tokens: maximum lifetime");
        if (!ModelState.IsValid)
        {
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        var policy = new TokenPolicy(Input.ClassicAllowed, classicDays, Input.ClassicExpiryRequired, fineGrainedDays);
        var changes = TokenPolicies.Describe(Policy, policy);
        await policies.SaveAsync(policy, _admin!, HttpContext.RequestAborted);
        Flash = changes.Length == 0 ? "Nothing changed." : "Token policy saved: " + changes + ".";
        return Redirect("/site-admin/token-policies");
    }

    /// <summary>Blank is no limit; otherwise a whole number of days from 1 to 366.</summary>
    private int? Days(string? text, string label)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= TokenPolicy.MaxDays)
            return days;
        ModelState.AddModelError(string.Empty, $"{label} must be a whole number of days from 1 to 366, or blank for no limit.");
        return null;
    }
}
