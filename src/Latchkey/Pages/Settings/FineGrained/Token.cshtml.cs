using Latchkey.Accounts;
using Latchkey.Pages.Settings.Tokens;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings.FineGrained;

/// <summary>One fine-grained token: its details and last use, its name, description, repositories and permissions to edit, and deletion.</summary>
[Authorize]
[RequireSudo("POST", "Delete")]
public sealed class FineGrainedTokenModel(UserManager<User> users, TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock, TokenUsageReports usage) : LatchkeyPageModel
{
    [BindProperty]
    public FineGrainedInput Input { get; set; } = new();

    public PersonalAccessToken Token { get; private set; } = null!;
    public FineGrainedFormView Form { get; private set; } = null!;
    public string ExpiryText { get; private set; } = "";
    public bool IsExpired { get; private set; }
    public TokenUsageSection Usage { get; private set; } = null!;

    /// <summary>The selected repositories by name (empty unless "Only select repositories").</summary>
    public IReadOnlyList<string> Repositories { get; private set; } = [];
    public string Reach { get; private set; } = "";
    public IReadOnlyList<string> Permissions { get; private set; } = [];

    [TempData]
    public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.FineGrained } token)
            return NotFound();
        Input = InputFrom(token);
        await DescribeAsync(user, token);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.FineGrained } token)
            return NotFound();
        FineGrainedForm.ReadPermissions(Request.Form, Input);
        await DescribeAsync(user, token);
        TokenForm.ReportBindingErrors(ModelState);
        var request = FineGrainedForm.Check(Input, ModelState);
        var networks = TokenForm.CheckNetworks(Input.AllowedNetworks, ModelState);
        if (!ModelState.IsValid || request is null)
            return FormErrors();
        if (await tokens.UpdateFineGrainedAsync(user.Id, id, request, HttpContext.RequestAborted) is { } error)
            return FormErrors(error);
        await tokens.SetNetworksAsync(user.Id, id, networks!, HttpContext.RequestAborted);
        Flash = "Updated fine-grained personal access token.";
        return RedirectToPage(new { id });
    }

    /// <summary>"Narrow to what it used": only the repositories and permission levels it exercised (takes away only, so no sudo).</summary>
    public async Task<IActionResult> OnPostNarrowAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.FineGrained } token)
            return NotFound();
        if (await usage.NarrowAsync(user, token, HttpContext.RequestAborted) is { } error)
        {
            Input = InputFrom(token);
            await DescribeAsync(user, token);
            return FormErrors(error);
        }
        Flash = "Narrowed the token to what it used.";
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (await tokens.FindAsync(user.Id, id, HttpContext.RequestAborted) is not { Kind: TokenKind.FineGrained }
            || !await tokens.DeleteAsync(user.Id, id, HttpContext.RequestAborted))
            return NotFound();
        Flash = "Deleted fine-grained personal access token.";
        return RedirectToPage("Index");
    }

    private static FineGrainedInput InputFrom(PersonalAccessToken token)
    {
        var permissions = token.PermissionSet;
        return new FineGrainedInput
        {
            Name = token.Note,
            Description = token.Description,
            RepositoryAccess = FineGrainedForm.AccessValue(token.RepositoryAccess),
            RepositoryIds = token.Repositories.Select(r => r.RepositoryId).ToList(),
            AllowedNetworks = TokenForm.NetworksText(token),
            Permissions = FineGrainedPermissions.All.Where(p => !p.Mandatory)
                .ToDictionary(p => p.Key, p => (string?)FineGrainedPermissions.LevelName(permissions[p.Key]), StringComparer.Ordinal),
        };
    }

    private async Task DescribeAsync(User user, PersonalAccessToken token)
    {
        Token = token;
        var expiry = lifetime.EffectiveExpiry(token);
        IsExpired = expiry is { } e && clock.GetUtcNow().UtcDateTime >= e;
        ExpiryText = expiry switch
        {
            null => "This token has no expiration date.",
            { } at when IsExpired => $"This token expired on {EditTokenModel.Exact(at)}.",
            { } at => $"This token expires on {EditTokenModel.Exact(at)}.",
        };
        var selectable = await tokens.SelectableRepositoriesAsync(user.Id, HttpContext.RequestAborted);
        var chosen = token.Repositories.Select(r => r.RepositoryId).ToHashSet();
        Repositories = selectable.Where(r => chosen.Contains(r.Id)).Select(FineGrainedForm.FullName).ToList();
        Reach = FineGrainedForm.DescribeReach(token.RepositoryAccess, chosen.Count);
        Permissions = token.PermissionSet.Levels.Count == 0 ? ["None"] : token.PermissionSet.Describe().Split(", ");
        Form = FineGrainedForm.View(Input, user.UserName!, selectable, expiration: null);
        Usage = new TokenUsageSection(token, await usage.ForAsync(token, HttpContext.RequestAborted));
    }
}
