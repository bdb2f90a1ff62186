using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>Pages under /{owner}/{repo}: find the repository and ask the access policy, as git does.</summary>
public abstract class RepositoryPageModel(WebCaller callers, RepositoryService repositories) : LatchkeyPageModel
{
    public Repository Repo { get; private set; } = null!;
    public Caller Caller { get; private set; } = Caller.Anonymous;
    public string OwnerName => Repo.Owner!.UserName!;
    public bool CanAdmin { get; private set; }

    protected RepositoryService Repositories => repositories;

    /// <summary>Null when the page may go on; otherwise the response to give (404 hides private repositories).</summary>
    protected async Task<IActionResult?> LoadAsync(string owner, string repo, RepoAction action)
    {
        Caller = await callers.GetAsync(HttpContext);
        var found = await repositories.FindAsync(owner, repo, HttpContext.RequestAborted);
        if (found is null)
            return NotFound();
        if (WebRefusal.For(this, AccessPolicy.Decide(Caller, action, found)) is { } refusal)
            return refusal;
        Repo = found;
        CanAdmin = AccessPolicy.Decide(Caller, RepoAction.Admin, found).IsAllowed;
        return null;
    }

    /// <summary>The HTTP clone URL, built from the request the page was served for.</summary>
    public string CloneUrl => $"{Request.Scheme}://{Request.Host}{Request.PathBase}/{OwnerName}/{Repo.Name}.git";
}
