using System.Globalization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Repositories.History;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>A ref's history, or one path's: newest first, grouped by day, 35 a page as GitHub shows them.</summary>
public sealed class RepoCommitsModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs, CommitLog log)
    : RepositoryPageModel(callers, repositories)
{
    public const int PerPage = 35;

    public string Ref { get; private set; } = "";
    public string Path { get; private set; } = "";
    public int PageNumber { get; private set; } = 1;
    public IReadOnlyList<CommitDetails> Commits { get; private set; } = [];
    public bool HasOlder { get; private set; }
    public bool TimedOut { get; private set; }

    /// <summary>This page's own address, without its query.</summary>
    public string PagePath => $"/{OwnerName}/{Repo.Name}/commits/{CatchAllPath.Escape(Ref)}" + (Path.Length > 0 ? "/" + CatchAllPath.Escape(Path) : "");

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string? spec)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (CatchAllPath.Decode(HttpContext, spec) is not { } tail)
            return NotFound();
        // "page" is Razor Pages' own route value (the page's name), so the query is read as such.
        if (Request.Query["page"].ToString() is { Length: > 0 } page)
        {
            if (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 100_000)
                return NotFound();
            PageNumber = number;
        }
        if (tail.Trim('/').Length == 0)
        {
            if (await store.DefaultBranchAsync(Repo, ct) is not { } branch)
                return NotFound();
            Ref = branch;
        }
        else if (await refs.SplitAsync(Repo, tail.Trim('/'), ct) is { } split)
            (Ref, Path) = (split.Ref, split.Path);
        else
            return NotFound();

        try
        {
            var commits = await log.ListAsync(Repo, Ref, Path, (PageNumber - 1) * PerPage, PerPage + 1, ct);
            HasOlder = commits.Count > PerPage;
            Commits = commits.Take(PerPage).ToList();
        }
        catch (GitTimeoutException)
        {
            TimedOut = true;
        }
        return Page();
    }

    public static string Day(DateTimeOffset when) => when.UtcDateTime.ToString("MMM d, yyyy", CultureInfo.InvariantCulture);

    public static string Subject(string message) => message.Split('\n')[0];
}
