using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Repositories.History;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>
/// <c>compare/base...head</c>: the commits head has that base lacks, and their combined diff from the
/// merge base, as GitHub's compare view; with no refs, a form to pick them.
/// </summary>
public sealed class RepoCompareModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, CommitLog log, Diffs diffs)
    : RepositoryPageModel(callers, repositories)
{
    /// <summary>GitHub's compare view lists at most 250 commits.</summary>
    public const int MaxCommits = 250;

    public string Base { get; private set; } = "";
    public string Head { get; private set; } = "";
    public bool Picking { get; private set; }
    public bool Unrelated { get; private set; }
    public int Ahead { get; private set; }
    public IReadOnlyList<CommitDetails> Commits { get; private set; } = [];
    public DiffView? Diff { get; private set; }
    public bool TimedOut { get; private set; }

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string? spec, string? @base, string? head)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (CatchAllPath.Decode(HttpContext, spec)?.Trim('/') is not { } range)
            return NotFound();
        var defaultBranch = await store.DefaultBranchAsync(Repo, ct);
        if (range.Length == 0)
        {
            if (head is { Length: > 0 })
                return Redirect(CodeUrls.Compare(OwnerName, Repo.Name, @base is { Length: > 0 } ? @base : defaultBranch ?? "", head));
            Picking = true;
            Base = defaultBranch ?? "";
            return Page();
        }
        var dots = range.IndexOf("...", StringComparison.Ordinal);
        (Base, Head) = dots < 0 ? (defaultBranch ?? "", range) : (range[..dots], range[(dots + 3)..]);
        if (await log.ResolveAsync(Repo, Base, ct) is not { } baseSha || await log.ResolveAsync(Repo, Head, ct) is not { } headSha)
            return NotFound();

        try
        {
            if (await log.MergeBaseAsync(Repo, baseSha, headSha, ct) is not { } mergeBase)
            {
                Unrelated = true;
                return Page();
            }
            (Ahead, _) = await log.AheadBehindAsync(Repo, baseSha, headSha, ct);
            if (Ahead == 0)
                return Page();
            Commits = await log.BetweenAsync(Repo, baseSha, headSha, MaxCommits, ct);
            var expanded = Request.Query["expand"].OfType<string>().ToHashSet(StringComparer.Ordinal);
            var diff = await diffs.BetweenAsync(Repo, mergeBase, headSha, expanded.Contains, ct);
            Diff = new DiffView(diff, $"/{OwnerName}/{Repo.Name}", headSha, $"/{OwnerName}/{Repo.Name}/compare/{CatchAllPath.Escape(Base)}...{CatchAllPath.Escape(Head)}", expanded);
        }
        catch (GitTimeoutException)
        {
            TimedOut = true;
        }
        return Page();
    }
}
