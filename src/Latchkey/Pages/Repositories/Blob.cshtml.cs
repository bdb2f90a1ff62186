using System.Text;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoBlobModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs)
    : RepositoryPageModel(callers, repositories)
{
    public string Path { get; private set; } = "";
    public string Ref { get; private set; } = "";
    public string? Text { get; private set; }
    public HtmlString? MarkdownHtml { get; private set; }
    public long Size { get; private set; }
    public string Notice { get; private set; } = "";
    public RefSwitcher Switcher { get; private set; } = null!;
    public CommitSummary? LastCommit { get; private set; }

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
        Switcher = new RefSwitcher(OwnerName, Repo.Name, Ref, "blob", Path, at.Names, await store.DefaultBranchAsync(Repo, ct));
        LastCommit = await store.LastCommitAsync(Repo, Ref, Path, ct);

        var content = await store.ReadBlobAsync(Repo, Ref, Path, RepositoryBrowser.MaxDisplayBytes, ct);
        if (content is null)
        {
            Notice = "This file is too large to display.";
            return Page();
        }
        Size = content.Length;
        if (!RepositoryBrowser.LooksLikeText(content))
        {
            Notice = "Binary file not shown.";
            return Page();
        }
        var text = Encoding.UTF8.GetString(content);
        if (Path.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            MarkdownHtml = RepositoryBrowser.RenderMarkdown(text);
        else
            Text = text;
        return Page();
    }
}
