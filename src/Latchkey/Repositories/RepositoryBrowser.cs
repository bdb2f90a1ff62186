using System.Text;
using Markdig;
using Microsoft.AspNetCore.Html;

namespace Latchkey.Repositories;

public sealed record FileListing(string Owner, string Repo, string Ref, string Path, IReadOnlyList<TreeEntry> Entries, CommitSummary? LastCommit);

/// <summary>What the repository pages show: directory listings, READMEs, file contents.</summary>
public sealed class RepositoryBrowser(RepositoryStore store)
{
    public const long MaxDisplayBytes = 1024 * 1024;

    // Raw HTML in Markdown is shown as text, never run.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAdvancedExtensions()
        .DisableHtml()
        .Build();

    public async Task<FileListing> ListAsync(Repository repo, string owner, string gitRef, string path, CancellationToken ct)
    {
        var entries = await store.ListTreeAsync(repo, gitRef, path, ct);
        var last = await store.LastCommitAsync(repo, gitRef, path, ct);
        return new FileListing(owner, repo.Name, gitRef, path, entries, last);
    }

    public async Task<HtmlString?> RenderReadmeAsync(Repository repo, string gitRef, string directory, IReadOnlyList<TreeEntry> entries, CancellationToken ct)
    {
        var readme = entries.FirstOrDefault(e => !e.IsDirectory && e.Name.StartsWith("README", StringComparison.OrdinalIgnoreCase));
        if (readme is null)
            return null;
        var bytes = await store.ReadBlobAsync(repo, gitRef, Combine(directory, readme.Name), MaxDisplayBytes, ct);
        return bytes is null ? null : RenderMarkdown(Encoding.UTF8.GetString(bytes));
    }

    public static HtmlString RenderMarkdown(string markdown)
    {
        var html = Markdown.ToHtml(markdown, Pipeline);
        return new HtmlString(NeutraliseScriptLinks(html));
    }

    /// <summary>Links and images with a javascript: or data: target lose it.</summary>
    private static string NeutraliseScriptLinks(string html) =>
        System.Text.RegularExpressions.Regex.Replace(html,
            "(href|src)=\"\\s*(javascript|vbscript|data):[^\"]*\"",
            "$1=\"#\"",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));

    public static string Combine(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    /// <summary>True when the bytes look like text worth showing (no NUL in the first 8 KB, as git decides).</summary>
    public static bool LooksLikeText(byte[] content) => Array.IndexOf(content, (byte)0, 0, Math.Min(content.Length, 8000)) < 0;
}
