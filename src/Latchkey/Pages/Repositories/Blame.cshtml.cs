using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>GitHub's blame view: the file's lines grouped by the commit that last changed them.</summary>
public sealed class RepoBlameModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs, RepositoryBlame blame)
    : RepositoryPageModel(callers, repositories)
{
    public string Path { get; private set; } = "";
    public string Ref { get; private set; } = "";
    public RefSwitcher Switcher { get; private set; } = null!;
    public IReadOnlyList<BlameGroup> Groups { get; private set; } = [];
    public int LineCount => Groups.Sum(g => g.Lines.Count);
    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string @ref, string? path)
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
        Switcher = new RefSwitcher(OwnerName, Repo.Name, Ref, "blame", Path, at.Names, await store.DefaultBranchAsync(Repo, ct));

        var content = await store.ReadBlobAsync(Repo, Ref, Path, RepositoryBrowser.MaxDisplayBytes, ct);
        if (content is null)
            Notice = "This file is too large to blame.";
        else if (!RepositoryBrowser.LooksLikeText(content))
            Notice = "Binary file not shown.";
        else
        {
            try
            {
                Groups = await blame.BlameAsync(Repo, Ref, Path, ct) ?? [];
            }
            catch (GitTimeoutException)
            {
                Notice = "This blame took too long to load. Try again later, or look at the file's history.";
            }
            catch (GitOutputTooLargeException)
            {
                Notice = "This blame is too large to display.";
            }
        }
        return Page();
    }
}
