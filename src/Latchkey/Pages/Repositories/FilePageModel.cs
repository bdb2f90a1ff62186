using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>Pages of one file at a ref (blob, blame): the URL split into ref and path, a folder sent to its tree, the switcher kept on this view.</summary>
public abstract class FilePageModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs)
    : RepositoryPageModel(callers, repositories)
{
    public string Path { get; private set; } = "";
    public string Ref { get; private set; } = "";
    public RefSwitcher Switcher { get; private set; } = null!;

    protected RepositoryStore Store => store;

    /// <summary>Null when <see cref="Ref"/> and <see cref="Path"/> name a file the caller may read; otherwise the response to give.</summary>
    protected async Task<IActionResult?> OpenFileAsync(string owner, string repo, string @ref, string? path, string view)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (await refs.ResolveAsync(Repo, HttpContext, @ref, path) is not { } at)
            return NotFound();
        (Ref, Path) = (at.Ref, at.Path);
        var type = await store.ObjectTypeAsync(Repo, Ref, Path, ct);
        if (type == "tree")
            return Redirect(CodeUrls.Of(OwnerName, Repo.Name, "tree", Ref, Path));
        if (type != "blob")
            return NotFound();
        Switcher = new RefSwitcher(OwnerName, Repo.Name, Ref, view, Path, at.Names, await store.DefaultBranchAsync(Repo, ct));
        return null;
    }
}
