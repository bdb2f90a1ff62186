using System.Text;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class RepoBlobModel(WebCaller callers, RepositoryService repositories, RepositoryStore store)
    : RepositoryPageModel(callers, repositories)
{
    public string Path { get; private set; } = "";
    public string Ref { get; private set; } = "";
    public string? Text { get; private set; }
    public HtmlString? MarkdownHtml { get; private set; }
    public long Size { get; private set; }
    public string Notice { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string @ref, string? path)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (Hosting.CatchAllPath.Decode(HttpContext, path) is not { } decoded)
            return NotFound();
        Path = decoded.Trim('/');
        Ref = @ref;
        var type = await store.ObjectTypeAsync(Repo, @ref, Path, ct);
        if (type == "tree")
            return Redirect($"/{OwnerName}/{Repo.Name}/tree/{Uri.EscapeDataString(@ref)}/{Hosting.CatchAllPath.Escape(Path)}");
        if (type != "blob")
            return NotFound();

        var content = await store.ReadBlobAsync(Repo, @ref, Path, RepositoryBrowser.MaxDisplayBytes, ct);
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
