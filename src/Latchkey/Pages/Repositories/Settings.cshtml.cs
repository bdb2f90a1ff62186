using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoSettingsModel(WebCaller callers, RepositoryService repositories) : RepositoryPageModel(callers, repositories)
{
    public async Task<IActionResult> OnGetAsync(string owner, string repo) =>
        await LoadAsync(owner, repo, RepoAction.Admin) ?? Page();

    public async Task<IActionResult> OnPostDeleteAsync(string owner, string repo, string? verify)
    {
        if (await LoadAsync(owner, repo, RepoAction.Delete) is { } refused)
            return refused;
        var fullName = $"{OwnerName}/{Repo.Name}";
        if (!string.Equals(verify?.Trim(), fullName, StringComparison.Ordinal))
            return FormErrors($"To delete the repository, type \"{fullName}\" exactly.");
        await Repositories.DeleteAsync(Repo, HttpContext.RequestAborted);
        TempData["Flash"] = $"Your repository \"{fullName}\" was successfully deleted.";
        return Redirect("/");
    }
}
