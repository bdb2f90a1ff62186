using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoHomeModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryBrowser browser, RepositoryRefs refs)
    : RepositoryPageModel(callers, repositories)
{
    public string? Branch { get; private set; }
    public FileListing Listing { get; private set; } = null!;
    public RefSwitcher Switcher { get; private set; } = null!;
    public HtmlString? ReadmeHtml { get; private set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        Branch = await store.DefaultBranchAsync(Repo, ct);
        if (Branch is null)
            return Page();
        Listing = await browser.ListAsync(Repo, OwnerName, Branch, "", ct);
        Switcher = new RefSwitcher(OwnerName, Repo.Name, Branch, "tree", "", await refs.NamesAsync(Repo, ct), Branch);
        ReadmeHtml = await browser.RenderReadmeAsync(Repo, Branch, "", Listing.Entries, ct);
        return Page();
    }
}
