using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoTreeModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryBrowser browser)
    : RepositoryPageModel(callers, repositories)
{
    public FileListing Listing { get; private set; } = null!;
    public HtmlString? ReadmeHtml { get; private set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string @ref, string? path)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (Hosting.CatchAllPath.Decode(HttpContext, path) is not { } decoded)
            return NotFound();
        path = decoded.Trim('/');
        var type = await store.ObjectTypeAsync(Repo, @ref, path, ct);
        if (type == "blob")
            return Redirect($"/{OwnerName}/{Repo.Name}/blob/{Uri.EscapeDataString(@ref)}/{Hosting.CatchAllPath.Escape(path)}");
        if (type != "tree")
            return NotFound();
        Listing = await browser.ListAsync(Repo, OwnerName, @ref, path, ct);
        ReadmeHtml = await browser.RenderReadmeAsync(Repo, @ref, path, Listing.Entries, ct);
        return Page();
    }
}
