using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoTreeModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryBrowser browser, RepositoryRefs refs)
    : RepositoryPageModel(callers, repositories)
{
    public FileListing Listing { get; private set; } = null!;
    public RefSwitcher Switcher { get; private set; } = null!;
    public HtmlString? ReadmeHtml { get; private set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string @ref, string? path)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (await refs.ResolveAsync(Repo, HttpContext, @ref, path) is not { } at)
            return NotFound();
        var type = await store.ObjectTypeAsync(Repo, at.Ref, at.Path, ct);
        if (type == "blob")
            return Redirect(CodeUrls.Of(OwnerName, Repo.Name, "blob", at.Ref, at.Path));
        if (type != "tree")
            return NotFound();
        Listing = await browser.ListAsync(Repo, OwnerName, at.Ref, at.Path, ct);
        Switcher = new RefSwitcher(OwnerName, Repo.Name, at.Ref, "tree", at.Path, at.Names, await store.DefaultBranchAsync(Repo, ct));
        ReadmeHtml = await browser.RenderReadmeAsync(Repo, at.Ref, at.Path, Listing.Entries, ct);
        return Page();
    }
}
