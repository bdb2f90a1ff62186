using System.Globalization;
using Latchkey.Git;
using Microsoft.Extensions.Options;

namespace Latchkey.Repositories;

public sealed record BlameLine(int Number, string Text);

/// <summary>Consecutive lines last changed by one commit, as GitHub's blame view groups them.</summary>
public sealed record BlameGroup(CommitSummary Commit, IReadOnlyList<BlameLine> Lines);

/// <summary><c>git blame --porcelain</c>, bounded by <c>Git:BrowseSeconds</c> (past it, <see cref="GitTimeoutException"/>).</summary>
public sealed class RepositoryBlame(RepositoryStore store, IOptions<GitOptions> options)
{
    /// <summary>The file's lines grouped by commit, or null when git cannot blame it (no such file at the ref).</summary>
    public async Task<IReadOnlyList<BlameGroup>?> BlameAsync(Repository repo, string gitRef, string path, CancellationToken ct)
    {
        if (!RepositoryStore.IsSafeRef(gitRef) || !RepositoryStore.IsSafePath(path) || path.Length == 0)
            return null;
        var result = await GitCommand.RunWithinAsync(store.PathOf(repo), ["blame", "--porcelain", gitRef, "--", path], options.Value.BrowseLimit, ct);
        return result.Succeeded ? Parse(result.Text) : null;
    }

    /// <summary>
    /// Porcelain: per line a header "sha original final [count]", the commit's fields the first time
    /// that commit appears ("author …", "author-time …", "summary …"), then the line itself after a tab.
    /// </summary>
    internal static List<BlameGroup> Parse(string porcelain)
    {
        var commits = new Dictionary<string, (string Author, DateTimeOffset When, string Summary)>(StringComparer.Ordinal);
        var groups = new List<(string Sha, List<BlameLine> Lines)>();
        string? sha = null;
        var number = 0;
        foreach (var line in porcelain.Split('\n'))
        {
            if (line.StartsWith('\t'))
            {
                if (sha is null)
                    continue;
                if (groups.Count == 0 || groups[^1].Sha != sha)
                    groups.Add((sha, []));
                groups[^1].Lines.Add(new BlameLine(number, line[1..]));
                sha = null;
                continue;
            }
            if (sha is null)
            {
                var header = line.Split(' ');
                if (header.Length >= 3 && int.TryParse(header[2], CultureInfo.InvariantCulture, out number))
                {
                    sha = header[0];
                    commits.TryAdd(sha, ("", DateTimeOffset.UnixEpoch, ""));
                }
                continue;
            }
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var (key, value) = space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
            var known = commits[sha];
            commits[sha] = key switch
            {
                "author" => known with { Author = value },
                "author-time" when long.TryParse(value, CultureInfo.InvariantCulture, out var seconds) => known with { When = DateTimeOffset.FromUnixTimeSeconds(seconds) },
                "summary" => known with { Summary = value },
                _ => known,
            };
        }
        return groups.Select(g =>
        {
            var (author, when, summary) = commits[g.Sha];
            return new BlameGroup(new CommitSummary(g.Sha, summary, author, when), g.Lines);
        }).ToList();
    }
}
