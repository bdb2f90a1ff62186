using System.Globalization;
using Latchkey.Git;
using Microsoft.Extensions.Options;

namespace Latchkey.Repositories.History;

/// <summary>
/// A repository's history: paged commit lists (of a ref, optionally of one path), counts, and
/// ref resolution. Every read is bounded by <c>Git:BrowseSeconds</c>.
/// </summary>
public sealed class CommitLog(RepositoryStore store, IOptions<GitOptions> options)
{
    // Ten NUL-separated fields per commit, and -z ends each commit with one more NUL; git keeps NUL out
    // of messages, so no name or message can shift the fields.
    private const string Format = "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B";
    private const int Fields = 10;

    private TimeSpan Limit => options.Value.BrowseLimit;

    /// <summary><paramref name="count"/> commits reachable from <paramref name="revision"/> (newest first), after skipping <paramref name="skip"/>.</summary>
    public async Task<IReadOnlyList<CommitDetails>> ListAsync(Repository repo, string revision, string path, int skip, int count, CancellationToken ct)
    {
        if (!RepositoryStore.IsSafeRef(revision) || !RepositoryStore.IsSafePath(path))
            return [];
        var args = LiteralPaths("log", "-z", Format, $"--skip={skip}", $"--max-count={count}", revision, "--");
        if (path.Length > 0)
            args.Add(path);
        var result = await GitCommand.RunWithinAsync(store.PathOf(repo), args, Limit, ct);
        return result.Succeeded ? Parse(result.Text) : [];
    }

    /// <summary>The commits in <paramref name="head"/> that are not in <paramref name="base"/>, oldest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<CommitDetails>> BetweenAsync(Repository repo, string @base, string head, int max, CancellationToken ct)
    {
        var result = await GitCommand.RunWithinAsync(store.PathOf(repo),
            LiteralPaths("log", "-z", Format, "--reverse", $"--max-count={max}", head, "^" + @base, "--"), Limit, ct);
        return result.Succeeded ? Parse(result.Text) : [];
    }

    /// <summary>How many commits <paramref name="revision"/> reaches (touching <paramref name="path"/> when given).</summary>
    public async Task<int> CountAsync(Repository repo, string revision, string path, CancellationToken ct)
    {
        if (!RepositoryStore.IsSafeRef(revision) || !RepositoryStore.IsSafePath(path))
            return 0;
        var args = LiteralPaths("rev-list", "--count", revision, "--");
        if (path.Length > 0)
            args.Add(path);
        var result = await GitCommand.RunWithinAsync(store.PathOf(repo), args, Limit, ct);
        return result.Succeeded && int.TryParse(result.Text.Trim(), CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    /// <summary>Commits reachable from <paramref name="head"/> and not <paramref name="base"/> (ahead), and the other way (behind).</summary>
    public async Task<(int Ahead, int Behind)> AheadBehindAsync(Repository repo, string @base, string head, CancellationToken ct)
    {
        var result = await GitCommand.RunWithinAsync(store.PathOf(repo), ["rev-list", "--left-right", "--count", $"{@base}...{head}", "--"], Limit, ct);
        var parts = result.Text.Trim().Split('\t');
        return result.Succeeded && parts.Length == 2
            ? (int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[0], CultureInfo.InvariantCulture))
            : (0, 0);
    }

    /// <summary>The full sha of the commit a ref or (abbreviated) sha names, or null.</summary>
    public async Task<string?> ResolveAsync(Repository repo, string revision, CancellationToken ct)
    {
        if (!RepositoryStore.IsSafeRef(revision))
            return null;
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"], ct);
        return result.Succeeded ? result.Text.Trim() : null;
    }

    /// <summary>The best common ancestor of two commits, or null when their histories are unrelated.</summary>
    public async Task<string?> MergeBaseAsync(Repository repo, string a, string b, CancellationToken ct)
    {
        var result = await GitCommand.RunWithinAsync(store.PathOf(repo), ["merge-base", a, b], Limit, ct);
        return result.Succeeded ? result.Text.Trim() : null;
    }

    // File names are literal: a path such as "*" or ":(glob)x" from a URL matches only itself.
    private static List<string> LiteralPaths(params string[] args) => ["--literal-pathspecs", .. args];

    private static List<CommitDetails> Parse(string text)
    {
        var parts = text.Split('\0');
        var commits = new List<CommitDetails>();
        for (var i = 0; i + Fields <= parts.Length; i += Fields)
        {
            commits.Add(new CommitDetails(parts[i], parts[i + 1], parts[i + 2].Split(' ', StringSplitOptions.RemoveEmptyEntries),
                parts[i + 3], parts[i + 4], Date(parts[i + 5]), parts[i + 6], parts[i + 7], Date(parts[i + 8]), parts[i + 9].TrimEnd('\n')));
        }
        return commits;
    }

    private static DateTimeOffset Date(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
