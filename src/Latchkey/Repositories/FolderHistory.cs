using System.Diagnostics;
using System.Globalization;
using Latchkey.Git;
using Microsoft.Extensions.Options;

namespace Latchkey.Repositories;

/// <summary>
/// What the code view shows of a folder's history: the last commit of each entry and the number of
/// commits. Both grow with history, so both stop at <c>Git:BrowseSeconds</c> and show what they found.
/// </summary>
public sealed class FolderHistory(RepositoryStore store, IOptions<GitOptions> options)
{
    // One walk, in batches that grow fourfold (100, 400, 1,600, 6,400 commits) and stop once every
    // entry has its commit, so a folder whose entries all changed lately costs one short log.
    private const int FirstBatch = 100;
    private const int MaxCommits = 8500;

    /// <summary>Entry name → the latest commit that touched it. Entries not reached in time are left out.</summary>
    public async Task<IReadOnlyDictionary<string, CommitSummary>> LastCommitsAsync(
        Repository repo, string gitRef, string directory, IEnumerable<string> names, CancellationToken ct)
    {
        var found = new Dictionary<string, CommitSummary>(StringComparer.Ordinal);
        var pending = names.ToHashSet(StringComparer.Ordinal);
        if (!RepositoryStore.IsSafeRef(gitRef) || !RepositoryStore.IsSafePath(directory))
            return found;
        var prefix = directory.Length == 0 ? "" : directory + "/";
        var elapsed = Stopwatch.StartNew();
        for (int skip = 0, batch = FirstBatch; pending.Count > 0 && skip < MaxCommits; skip += batch, batch *= 4)
        {
            var remaining = options.Value.BrowseLimit - elapsed.Elapsed;
            if (remaining <= TimeSpan.Zero)
                break;
            List<string> args = ["--literal-pathspecs", "log", "-z", "--no-renames", "--name-only", "--format=%x1e%H%x00%s%x00%an%x00%aI",
                $"--skip={skip}", $"--max-count={batch}", gitRef, "--"];
            if (directory.Length > 0)
                args.Add(directory);
            GitResult result;
            try
            {
                result = await GitCommand.RunWithinAsync(store.PathOf(repo), args, remaining, ct, maxOutputBytes: 16L * 1024 * 1024);
            }
            catch (Exception e) when (e is GitTimeoutException or GitOutputTooLargeException)
            {
                break;
            }
            if (!result.Succeeded)
                break;
            var commits = 0;
            foreach (var (commit, files) in ParseLog(result.Text))
            {
                commits++;
                foreach (var file in files)
                {
                    if (!file.StartsWith(prefix, StringComparison.Ordinal))
                        continue;
                    var entry = file[prefix.Length..].Split('/')[0];
                    if (pending.Remove(entry))
                        found[entry] = commit;
                }
            }
            if (commits < batch)
                break;
        }
        return found;
    }

    /// <summary>How many commits reach the folder from the ref; null when git could not count them in time.</summary>
    public async Task<int?> CountAsync(Repository repo, string gitRef, string directory, CancellationToken ct)
    {
        if (!RepositoryStore.IsSafeRef(gitRef) || !RepositoryStore.IsSafePath(directory))
            return null;
        List<string> args = ["--literal-pathspecs", "rev-list", "--count", gitRef, "--"];
        if (directory.Length > 0)
            args.Add(directory);
        try
        {
            var result = await GitCommand.RunWithinAsync(store.PathOf(repo), args, options.Value.BrowseLimit, ct);
            return result.Succeeded && int.TryParse(result.Text.Trim(), CultureInfo.InvariantCulture, out var count) ? count : null;
        }
        catch (GitTimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads <c>log -z --name-only</c> with the format above: each commit is "\x1e" sha, subject, author
    /// and date (NUL after each but the last), then "\n" and its files, each ended by NUL.
    /// </summary>
    private static IEnumerable<(CommitSummary Commit, List<string> Files)> ParseLog(string text)
    {
        var fields = text.Split('\0');
        for (var i = 0; i + 3 < fields.Length;)
        {
            if (!fields[i].StartsWith('\x1e'))
            {
                i++;
                continue;
            }
            var when = DateTimeOffset.TryParse(fields[i + 3], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : DateTimeOffset.UnixEpoch;
            var commit = new CommitSummary(fields[i][1..], fields[i + 1], fields[i + 2], when);
            var files = new List<string>();
            for (i += 4; i < fields.Length && !fields[i].StartsWith('\x1e'); i++)
            {
                var file = fields[i].TrimStart('\n');
                if (file.Length > 0)
                    files.Add(file);
            }
            yield return (commit, files);
        }
    }
}
