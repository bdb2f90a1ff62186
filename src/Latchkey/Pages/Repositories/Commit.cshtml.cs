using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Repositories.History;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

/// <summary>One commit: its message, people, parents, and its diff against the first parent.</summary>
public sealed class RepoCommitModel(WebCaller callers, RepositoryService repositories, RepositoryStore store, CommitLog log, Diffs diffs)
    : RepositoryPageModel(callers, repositories)
{
    public CommitDetails Commit { get; private set; } = null!;
    public DiffView? Diff { get; private set; }

    public string Subject => Commit.Message.Split('\n')[0];
    public string Body => Commit.Message.Contains('\n', StringComparison.Ordinal) ? Commit.Message[(Commit.Message.IndexOf('\n', StringComparison.Ordinal) + 1)..].Trim('\n') : "";
    public bool CommittedBySomeoneElse => Commit.CommitterName != Commit.AuthorName || Commit.CommitterEmail != Commit.AuthorEmail;

    public async Task<IActionResult> OnGetAsync(string owner, string repo, string? spec)
    {
        if (await LoadAsync(owner, repo, RepoAction.ReadContents) is { } refused)
            return refused;
        var ct = HttpContext.RequestAborted;
        if (CatchAllPath.Decode(HttpContext, spec)?.Trim('/') is not { Length: > 0 } revision
            || await log.ResolveAsync(Repo, revision, ct) is not { } sha
            || await store.CommitAsync(Repo, sha, ct) is not { } commit)
            return NotFound();
        Commit = commit;
        var expanded = Request.Query["expand"].OfType<string>().ToHashSet(StringComparer.Ordinal);
        try
        {
            var diff = await diffs.BetweenAsync(Repo, commit.Parents.Count > 0 ? commit.Parents[0] : null, sha, expanded.Contains, ct);
            Diff = new DiffView(diff, $"/{OwnerName}/{Repo.Name}", sha, $"/{OwnerName}/{Repo.Name}/commit/{sha}", expanded);
        }
        catch (GitTimeoutException)
        {
            Diff = null;
        }
        return Page();
    }
}
