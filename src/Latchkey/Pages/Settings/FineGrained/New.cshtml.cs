using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Pages.Settings.Tokens;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.FineGrained;

/// <summary>"New fine-grained personal access token", prefilled from a template link as on GitHub.</summary>
[Authorize]
[RequireSudo]
public sealed class NewFineGrainedTokenModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock) : LatchkeyPageModel
{
    [BindProperty]
    public FineGrainedInput Input { get; set; } = new();

    public FineGrainedFormView Form { get; private set; } = null!;

    /// <summary>What the template link asked for that the form could not take, and why.</summary>
    public IReadOnlyList<string> LinkWarnings { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        LinkWarnings = FineGrainedForm.Prefill(Request.Query, Input, user.UserName!, lifetime, clock.GetUtcNow().UtcDateTime);
        Input.RepositoryAccess ??= "public";
        await DescribeAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        FineGrainedForm.ReadPermissions(Request.Form, Input);
        await DescribeAsync(user);

        TokenForm.ReportBindingErrors(ModelState);
        var request = FineGrainedForm.Check(Input, ModelState);
        if (!lifetime.FineGrained.TryResolve(Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime, out var expiresAt, out var expiryError))
            ModelState.AddModelError(string.Empty, expiryError!);
        var networks = TokenForm.CheckNetworks(Input.AllowedNetworks, ModelState);
        if (!ModelState.IsValid || request is null)
            return FormErrors();

        var (token, plaintext, error) = await tokens.CreateFineGrainedAsync(user.Id, request, expiresAt!.Value, HttpContext.RequestAborted, networks);
        if (error is not null || token is null)
            return FormErrors(error);
        TempData[FineGrainedTokensModel.NewTokenKey] = plaintext;
        TempData[FineGrainedTokensModel.NewTokenIdKey] = token.Id.ToString(CultureInfo.InvariantCulture);
        return RedirectToPage("Index");
    }

    private async Task DescribeAsync(User user)
    {
        var repositories = await tokens.SelectableRepositoriesAsync(user.Id, HttpContext.RequestAborted);
        var picker = FineGrainedForm.Picker(lifetime.FineGrained, Input.Expiration, Input.CustomDate, clock.GetUtcNow().UtcDateTime);
        Form = FineGrainedForm.View(Input, user.UserName!, repositories, picker);
    }
}
