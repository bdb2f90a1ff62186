using System.Globalization;
using Latchkey.Hosting;

namespace Latchkey.Repositories;

public sealed record BranchSummary(string Name, string Sha, string AuthorName, DateTimeOffset When);

/// <summary>A tag: the commit it names (annotated tags peeled) and its date (the tagger's, or the commit's for a lightweight tag).</summary>
public sealed record TagSummary(string Name, string Sha, DateTimeOffset When);

/// <summary>The short names of a repository's branches and tags.</summary>
public sealed record RefNames(IReadOnlyList<string> Branches, IReadOnlyList<string> Tags);

/// <summary>A URL's <c>{ref}/{**path}</c> split where the ref ends; <see cref="Names"/> are the refs it was chosen from.</summary>
public sealed record RefPath(string Ref, string Path, RefNames Names);

/// <summary>Branches and tags: lists for the pages and the switcher, and which ref a URL names.</summary>
public sealed class RepositoryRefs(RepositoryStore store)
{
    private const string Heads = "refs/heads/";
    private const string Tags = "refs/tags/";

    /// <summary>Every branch, most recently committed first.</summary>
    public async Task<IReadOnlyList<BranchSummary>> BranchesAsync(Repository repo, CancellationToken ct) =>
        (await ForEachRefAsync(repo, ["--sort=-committerdate", "--format=%(refname:strip=2)%00%(objectname)%00%(authorname)%00%(committerdate:iso-strict)", Heads], ct))
            .Where(f => f.Length == 4)
            .Select(f => new BranchSummary(f[0], f[1], f[2], Date(f[3])))
            .ToList();

    /// <summary>Every tag, newest first; an annotated tag is shown with the commit it points at.</summary>
    public async Task<IReadOnlyList<TagSummary>> TagsAsync(Repository repo, CancellationToken ct) =>
        (await ForEachRefAsync(repo, ["--sort=-creatordate", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)", Tags], ct))
            .Where(f => f.Length == 4)
            .Select(f => new TagSummary(f[0], f[2].Length > 0 ? f[2] : f[1], Date(f[3])))
            .ToList();

    public async Task<RefNames> NamesAsync(Repository repo, CancellationToken ct)
    {
        var names = (await ForEachRefAsync(repo, ["--format=%(refname)", Heads, Tags], ct)).Select(f => f[0]).ToList();
        return new RefNames(
            names.Where(n => n.StartsWith(Heads, StringComparison.Ordinal)).Select(n => n[Heads.Length..]).ToList(),
            names.Where(n => n.StartsWith(Tags, StringComparison.Ordinal)).Select(n => n[Tags.Length..]).ToList());
    }

    /// <summary>
    /// Splits the route values <c>{ref}</c> and <c>{**path}</c> of a code view URL as GitHub does: the
    /// longest leading run of segments that names a branch or tag is the ref (so <c>feature/x/docs</c>
    /// is the folder docs on feature/x), or else a commit sha. Decoded once (<see cref="CatchAllPath"/>),
    /// <c>%2F</c> included. Null when no ref matches or the path is unsafe: the page answers 404.
    /// </summary>
    public async Task<RefPath?> ResolveAsync(Repository repo, HttpContext context, string @ref, string? path)
    {
        // "/tree/main/" has an empty {**path}: the slash still counts as a segment of the raw target.
        var routeValue = string.IsNullOrEmpty(path) && context.Request.Path.Value?.EndsWith('/') != true ? @ref : $"{@ref}/{path}";
        return CatchAllPath.Decode(context, routeValue) is { } decoded ? await SplitAsync(repo, decoded, context.RequestAborted) : null;
    }

    /// <summary>
    /// Splits an already decoded <c>feature/x/docs/a.md</c>: the longest leading run of segments that
    /// names a branch or tag is the ref, the rest the path; failing that, the first segment when it is a
    /// commit's sha. Null when no ref matches or the ref or path is unsafe.
    /// </summary>
    public async Task<RefPath?> SplitAsync(Repository repo, string decoded, CancellationToken ct)
    {
        var segments = decoded.Split('/');
        var names = await NamesAsync(repo, ct);
        var known = names.Branches.Concat(names.Tags).ToHashSet(StringComparer.Ordinal);
        for (var count = segments.Length; count > 0; count--)
        {
            var candidate = string.Join('/', segments[..count]);
            if (known.Contains(candidate))
                return Split(candidate, segments[count..], names);
        }
        var first = segments[0];
        return first.Length is >= 7 and <= 64 && first.All(char.IsAsciiHexDigitLower) && await store.CommitAsync(repo, first, ct) is not null
            ? Split(first, segments[1..], names)
            : null;
    }

    private static RefPath? Split(string gitRef, string[] rest, RefNames names)
    {
        var path = string.Join('/', rest).Trim('/');
        return RepositoryStore.IsSafeRef(gitRef) && RepositoryStore.IsSafePath(path) ? new RefPath(gitRef, path, names) : null;
    }

    private async Task<List<string[]>> ForEachRefAsync(Repository repo, string[] args, CancellationToken ct)
    {
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["for-each-ref", .. args], ct);
        return result.Succeeded
            ? result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\0')).ToList()
            : [];
    }

    private static DateTimeOffset Date(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var when) ? when : DateTimeOffset.UnixEpoch;
}
