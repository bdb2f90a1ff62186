using System.Text;
using Ganss.Xss;
using Markdig;
using Microsoft.AspNetCore.Html;

namespace Latchkey.Repositories;

/// <summary>A folder at a ref: its entries, its last commit and commit count, and each entry's last commit (those found in time).</summary>
public sealed record FileListing(string Owner, string Repo, string Ref, string Path, IReadOnlyList<TreeEntry> Entries, CommitSummary? LastCommit,
    int? CommitCount, IReadOnlyDictionary<string, CommitSummary> EntryCommits);

/// <summary>What the repository pages show: directory listings, READMEs, file contents.</summary>
public sealed class RepositoryBrowser(RepositoryStore store, FolderHistory history)
{
    public const long MaxDisplayBytes = 1024 * 1024;

    // Raw HTML in Markdown is shown as text; Markdig's attribute syntax ({onclick=...}) and media
    // embeds (iframes) are off.
    private static readonly MarkdownPipeline Pipeline = BuildPipeline();

    // And whatever Markdown produced is sanitised: only safe elements, attributes and URL schemes.
    private static readonly HtmlSanitizer Sanitizer = BuildSanitizer();

    private static MarkdownPipeline BuildPipeline()
    {
        var builder = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml();
        builder.Extensions.TryRemove<Markdig.Extensions.GenericAttributes.GenericAttributesExtension>();
        builder.Extensions.TryRemove<Markdig.Extensions.MediaLinks.MediaLinkExtension>();
        return builder.Build();
    }

    private static HtmlSanitizer BuildSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("mailto");
        sanitizer.AllowedAttributes.Add("id");
        sanitizer.AllowedAttributes.Remove("style");
        sanitizer.AllowedTags.Remove("form");
        return sanitizer;
    }

    public async Task<FileListing> ListAsync(Repository repo, string owner, string gitRef, string path, CancellationToken ct)
    {
        var entries = await store.ListTreeAsync(repo, gitRef, path, ct);
        var last = store.LastCommitAsync(repo, gitRef, path, ct);
        var count = history.CountAsync(repo, gitRef, path, ct);
        var entryCommits = history.LastCommitsAsync(repo, gitRef, path, entries.Select(e => e.Name), ct);
        return new FileListing(owner, repo.Name, gitRef, path, entries, await last, await count, await entryCommits);
    }

    public async Task<HtmlString?> RenderReadmeAsync(Repository repo, string gitRef, string directory, IReadOnlyList<TreeEntry> entries, CancellationToken ct)
    {
        var readme = entries.FirstOrDefault(e => !e.IsDirectory && e.Name.StartsWith("README", StringComparison.OrdinalIgnoreCase));
        if (readme is null)
            return null;
        var bytes = await store.ReadBlobAsync(repo, gitRef, Combine(directory, readme.Name), MaxDisplayBytes, ct);
        return bytes is null ? null : RenderMarkdown(Encoding.UTF8.GetString(bytes));
    }

    public static HtmlString RenderMarkdown(string markdown) =>
        new(Sanitizer.Sanitize(Markdown.ToHtml(markdown, Pipeline)));

    public static string Combine(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    /// <summary>True when the bytes look like text worth showing (no NUL in the first 8 KB, as git decides).</summary>
    public static bool LooksLikeText(byte[] content) => Array.IndexOf(content, (byte)0, 0, Math.Min(content.Length, 8000)) < 0;
}
