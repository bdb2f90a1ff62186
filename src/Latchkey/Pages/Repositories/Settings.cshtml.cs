using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoSettingsModel(WebCaller callers, RepositoryService repositories, RepositoryCollaborators collaborators, Lfs.LfsObjects lfs,
    Microsoft.Extensions.Options.IOptions<Lfs.LfsOptions> lfsOptions) : RepositoryPageModel(callers, repositories)
{
    /// <summary>What the repository's Git LFS objects take, against its quota (0: no limit).</summary>
    public (long Bytes, int Objects, long Quota) LfsUsage { get; private set; }

    public string LfsUsageText =>
        (LfsUsage.Objects == 0 ? "This repository holds no Git LFS objects" :
            $"This repository holds {LfsUsage.Objects} Git LFS {(LfsUsage.Objects == 1 ? "object" : "objects")}, {Lfs.LfsHttp.Bytes(LfsUsage.Bytes)}")
        + (LfsUsage.Quota > 0 ? $", of its {Lfs.LfsHttp.Bytes(LfsUsage.Quota)} quota." : "; there is no quota.");

    public IReadOnlyList<Collaborator> People { get; private set; } = [];
    public IReadOnlyList<RepositoryInvitation> Pending { get; private set; } = [];

    [TempData]
    public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo)
    {
        if (await LoadAsync(owner, repo, RepoAction.Admin) is { } refused)
            return refused;
        await LoadPeopleAsync();
        var (bytes, objects) = await lfs.UsageAsync(Repo.Id, HttpContext.RequestAborted);
        LfsUsage = (bytes, objects, lfsOptions.Value.RepositoryQuotaBytes);
        return Page();
    }

    public async Task<IActionResult> OnPostInviteAsync(string owner, string repo, string? username, string? role)
    {
        if (await LoadAsync(owner, repo, RepoAction.Admin) is { } refused)
            return refused;
        await LoadPeopleAsync();
        if (string.IsNullOrWhiteSpace(username))
            return FormErrors("Type the username of the person to add.");
        if (RepositoryInvitation.Parse(role) is not { } permission)
            return FormErrors("Choose Read, Write or Admin.");
        var (outcome, _) = await collaborators.InviteAsync(Repo, Caller.User!, username, permission, HttpContext.RequestAborted);
        switch (outcome)
        {
            case InviteOutcome.NoSuchUser:
                return FormErrors($"There is no user named {username.Trim()}.");
            case InviteOutcome.IsOwner:
                return FormErrors("The owner already has every right on this repository.");
            case InviteOutcome.RoleChanged:
                Flash = $"Changed {username.Trim()}'s role.";
                break;
            default:
                Flash = $"Invited {username.Trim()}. They can accept the invitation on their dashboard.";
                break;
        }
        return RedirectToPage(new { owner, repo });
    }

    public async Task<IActionResult> OnPostRemoveAsync(string owner, string repo, string? username)
    {
        if (await LoadAsync(owner, repo, RepoAction.Admin) is { } refused)
            return refused;
        if (string.IsNullOrWhiteSpace(username) || !await collaborators.RemoveAsync(Repo, username, HttpContext.RequestAborted))
            return NotFound();
        Flash = $"Removed {username}.";
        return RedirectToPage(new { owner, repo });
    }

    private async Task LoadPeopleAsync()
    {
        People = await collaborators.ListAsync(Repo, HttpContext.RequestAborted);
        Pending = await collaborators.PendingForRepositoryAsync(Repo, HttpContext.RequestAborted);
    }

    public async Task<IActionResult> OnPostArchivesAsync(string owner, string repo, bool includeLfs)
    {
        if (await LoadAsync(owner, repo, RepoAction.Admin) is { } refused)
            return refused;
        await Repositories.SetIncludeLfsInArchivesAsync(Repo, includeLfs, HttpContext.RequestAborted);
        TempData["Flash"] = includeLfs ? "Archives of this repository now include Git LFS objects." : "Archives of this repository no longer include Git LFS objects.";
        return Redirect($"/{OwnerName}/{Repo.Name}/settings");
    }

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
