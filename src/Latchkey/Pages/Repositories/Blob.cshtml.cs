using System.Text;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoBlobModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs, Lfs.LfsObjects lfs)
    : FilePageModel(callers, repositories, store, refs)
{
    public string? Text { get; private set; }
    public HtmlString? MarkdownHtml { get; private set; }
    public long Size { get; private set; }
    public string Notice { get; private set; } = "";
    public CommitSummary? LastCommit { get; private set; }

    /// <summary>The Git LFS object this file's pointer stands for, and whether this repository holds it.</summary>
    public Lfs.LfsPointer? LfsObject { get; private set; }
    public bool LfsHeld { get; private set; }
    public bool IsImage => Lfs.LfsPointer.ImageType(Path) is not null;

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string @ref, string? path)
    {
        if (await OpenFileAsync(owner, repo, @ref, path, "blob") is { } answer)
            return answer;
        var ct = HttpContext.RequestAborted;
        LastCommit = await Store.LastCommitAsync(Repo, Ref, Path, ct);

        var content = await Store.ReadBlobAsync(Repo, Ref, Path, RepositoryBrowser.MaxDisplayBytes, ct);
        if (content is null)
        {
            Notice = "This file is too large to display.";
            return Page();
        }
        Size = content.Length;
        if (Lfs.LfsPointer.TryParse(content) is { } pointer)
        {
            LfsObject = pointer;
            LfsHeld = await lfs.HoldsAsync(Repo.Id, pointer.Oid, ct);
            Size = pointer.Size;
            return Page();
        }
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
