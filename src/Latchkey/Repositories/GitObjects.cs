using System.Globalization;
using System.Text;
using Latchkey.Git;
using Microsoft.Extensions.Options;

namespace Latchkey.Repositories;

public sealed record GitRef(string Name, string Sha, string Type);

public sealed record GitTreeItem(string Path, string Mode, string Type, string Sha, long? Size);

public sealed record GitTree(string Sha, IReadOnlyList<GitTreeItem> Items, bool Truncated);

/// <summary>A name, an email and a time, as git writes them in commits and tags.</summary>
public sealed record GitSignature(string Name, string Email, DateTimeOffset When)
{
    /// <summary>What git accepts as an identity: no angle brackets or line breaks, nothing empty.</summary>
    public bool IsValid => Name.Trim().Length > 0 && Email.Trim().Length > 0 && !(Name + Email).Any(c => c is '<' or '>' or '\n' or '\r' or '\0');

    /// <summary>"1700000000 +0100", git's date form.</summary>
    public string Stamp
    {
        get
        {
            var offset = When.Offset;
            var sign = offset < TimeSpan.Zero ? '-' : '+';
            return FormattableString.Invariant($"{When.ToUnixTimeSeconds()} {sign}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00}");
        }
    }

    public static GitSignature? Parse(string line)
    {
        // "Name <email> 1700000000 +0100"
        var open = line.LastIndexOf(" <", StringComparison.Ordinal);
        var close = line.LastIndexOf('>');
        if (open < 0 || close < open)
            return null;
        var time = line[(close + 1)..].Trim().Split(' ');
        // A hand-made object may carry a date out of any range (a day inside it, for the offset): then no tagger is shown.
        if (!long.TryParse(time[0], CultureInfo.InvariantCulture, out var seconds) || seconds is < -62_135_510_400 or > 253_402_214_399)
            return null;
        var offset = TimeSpan.Zero;
        if (time.Length > 1 && time[1].Length == 5 && int.TryParse(time[1][1..3], CultureInfo.InvariantCulture, out var h) && int.TryParse(time[1][3..], CultureInfo.InvariantCulture, out var m)
            && h <= 14 && m < 60)
            offset = (time[1][0] == '-' ? -1 : 1) * new TimeSpan(h, m, 0);
        return new GitSignature(line[..open], line[(open + 2)..close], DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(offset));
    }
}

public sealed record GitTag(string Sha, string Name, string ObjectSha, string ObjectType, GitSignature? Tagger, string Message);

/// <summary>An entry of a tree to write: a <paramref name="Sha"/>, or <paramref name="Content"/> for a new blob; neither removes the path.</summary>
public sealed record NewTreeEntry(string Path, string Mode, string Type, string? Sha, byte[]? Content);

/// <summary>What a write made (<see cref="Sha"/>), or why it was refused (<see cref="Error"/>, with its HTTP status).</summary>
public sealed record GitWrite(string? Sha, string? Error = null, int Status = StatusCodes.Status201Created)
{
    public static GitWrite Refused(string error, int status = StatusCodes.Status422UnprocessableEntity) => new(null, error, status);
}

/// <summary>
/// Git's object database and refs, one object at a time (the Git data API): reads by id, and
/// writes that go through <see cref="ObjectQuarantine"/> (fsck-checked before they move in) and
/// ref moves that are compare-and-swap, so a concurrent push is never overwritten.
/// </summary>
public sealed class GitObjects(RepositoryStore store, IOptions<GitOptions> options)
{
    /// <summary>A recursive listing stops here and says it was truncated, as GitHub's does.</summary>
    public const int MaxTreeItems = 100_000;

    private const string NoObject = "0000000000000000000000000000000000000000";

    private static readonly HashSet<string> Modes = ["100644", "100755", "040000", "160000", "120000"];

    public static bool IsSha(string value) => value.Length == 40 && value.All(char.IsAsciiHexDigitLower);

    /// <summary>The type of the object <paramref name="sha"/> names ("commit", "tree", "blob", "tag"), or null when there is none.</summary>
    public async Task<string?> TypeOfAsync(Repository repo, string sha, CancellationToken ct) =>
        (await TypesOfAsync(repo, [sha], ct)).GetValueOrDefault(sha);

    /// <summary>The types of the objects that exist among <paramref name="shas"/>, asked of one git.</summary>
    public async Task<IReadOnlyDictionary<string, string>> TypesOfAsync(Repository repo, IEnumerable<string> shas, CancellationToken ct)
    {
        var asked = shas.Where(IsSha).Distinct(StringComparer.Ordinal).ToList();
        if (asked.Count == 0)
            return new Dictionary<string, string>();
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["cat-file", "--batch-check=%(objectname) %(objecttype)"], ct,
            Encoding.ASCII.GetBytes(string.Join('\n', asked) + "\n"));
        // "<sha> <type>", or "<sha> missing".
        return result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(parts => parts.Length == 2 && parts[1] != "missing")
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
    }

    /// <summary>The tree a sha or a ref name leads to (a commit's tree, a tag's), or null.</summary>
    public async Task<string?> TreeOfAsync(Repository repo, string name, CancellationToken ct)
    {
        if (!RepositoryStore.IsSafeRef(name))
            return null;
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["rev-parse", "--verify", "--quiet", "--end-of-options", name + "^{tree}"], ct);
        return result.Succeeded ? result.Text.Trim() : null;
    }

    public async Task<IReadOnlyList<GitRef>> RefsAsync(Repository repo, CancellationToken ct)
    {
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["for-each-ref", "--format=%(refname)%00%(objectname)%00%(objecttype)", "refs/"], ct);
        return result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\0'))
            .Where(parts => parts.Length == 3)
            .Select(parts => new GitRef(parts[0], parts[1], parts[2]))
            .ToList();
    }

    /// <summary>A ref's current object, or null when the ref does not exist.</summary>
    public async Task<string?> RefTargetAsync(Repository repo, string fullName, CancellationToken ct) =>
        (await RefsAsync(repo, ct)).FirstOrDefault(r => r.Name == fullName)?.Sha;

    /// <summary>Tags (lightweight or annotated) whose object is a commit, newest version first, with that commit.</summary>
    public async Task<IReadOnlyList<(string Name, string Commit)>> TagsAsync(Repository repo, CancellationToken ct)
    {
        var result = await GitCommand.RunAsync(store.PathOf(repo),
            ["for-each-ref", "--sort=-v:refname", "--format=%(refname:lstrip=2)%00%(objectname)%00%(objecttype)%00%(*objectname)%00%(*objecttype)", "refs/tags/"], ct);
        return result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\0'))
            .Where(p => p.Length == 5 && (p[2] == "commit" || p[4] == "commit"))
            .Select(p => (p[0], p[2] == "commit" ? p[1] : p[3]))
            .ToList();
    }

    /// <summary>A tree's entries; recursive lists every subtree's too, up to <see cref="MaxTreeItems"/> within the browse time limit.</summary>
    public async Task<GitTree> TreeAsync(Repository repo, string sha, bool recursive, CancellationToken ct)
    {
        if (recursive)
        {
            try
            {
                var all = await GitCommand.RunWithinAsync(store.PathOf(repo), ["ls-tree", "-z", "--long", "-r", "-t", sha], options.Value.BrowseLimit, ct, maxOutputBytes: 64L * 1024 * 1024);
                var items = Parse(all.Text);
                if (items.Count <= MaxTreeItems)
                    return new GitTree(sha, items, false);
            }
            catch (Exception e) when (e is GitTimeoutException or GitOutputTooLargeException)
            {
                // Too large to list at once: the top level, marked truncated, so the client walks the subtrees.
            }
            return new GitTree(sha, await ItemsAsync(repo, sha, ct), true);
        }
        return new GitTree(sha, await ItemsAsync(repo, sha, ct), false);
    }

    private async Task<List<GitTreeItem>> ItemsAsync(Repository repo, string sha, CancellationToken ct) =>
        Parse((await GitCommand.RunAsync(store.PathOf(repo), ["ls-tree", "-z", "--long", sha], ct)).Text);

    private static List<GitTreeItem> Parse(string listing)
    {
        var items = new List<GitTreeItem>();
        foreach (var record in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <object> <size>\t<path>", the size "-" for what is not a blob.
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var fields = tab < 0 ? [] : record[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3)
                continue;
            long? size = fields.Length > 3 && long.TryParse(fields[3], CultureInfo.InvariantCulture, out var s) ? s : null;
            items.Add(new GitTreeItem(record[(tab + 1)..], fields[0], fields[1], fields[2], size));
        }
        return items;
    }

    /// <summary>A blob's bytes, or null when it is over <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]?> BlobAsync(Repository repo, string sha, long maxBytes, CancellationToken ct)
    {
        var path = store.PathOf(repo);
        var size = await GitCommand.RunAsync(path, ["cat-file", "-s", sha], ct);
        if (!size.Succeeded || !long.TryParse(size.Text.Trim(), CultureInfo.InvariantCulture, out var bytes) || bytes > maxBytes)
            return null;
        var blob = await GitCommand.RunAsync(path, ["cat-file", "blob", sha], ct, maxOutputBytes: maxBytes);
        return blob.Succeeded ? blob.Output : null;
    }

    public async Task<GitTag?> TagAsync(Repository repo, string sha, CancellationToken ct)
    {
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["cat-file", "tag", sha], ct);
        if (!result.Succeeded)
            return null;
        var text = result.Text;
        var end = text.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = (end < 0 ? text : text[..end]).Split('\n')
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        return new GitTag(sha, headers.GetValueOrDefault("tag", ""), headers.GetValueOrDefault("object", ""), headers.GetValueOrDefault("type", ""),
            headers.TryGetValue("tagger", out var tagger) ? GitSignature.Parse(tagger) : null, end < 0 ? "" : text[(end + 2)..]);
    }

    public Task<GitWrite> WriteBlobAsync(Repository repo, byte[] content, CancellationToken ct) =>
        WriteAsync(repo, async (path, env) => await GitCommand.RunAsync(path, ["hash-object", "-w", "--stdin"], ct, content, env), ct);

    /// <summary>
    /// A tree: <paramref name="baseTree"/>'s files (if any) with <paramref name="entries"/> applied in order,
    /// nested paths creating or replacing the folders on their way, written through a private index.
    /// </summary>
    public Task<GitWrite> WriteTreeAsync(Repository repo, string? baseTree, IReadOnlyList<NewTreeEntry> entries, CancellationToken ct) =>
        WriteAsync(repo, async (path, env) =>
        {
            var files = new SortedDictionary<string, (string Mode, string Sha)>(StringComparer.Ordinal);
            if (baseTree is not null)
                Add(files, "", (await GitCommand.RunAsync(path, ["ls-tree", "-z", "-r", baseTree], ct, environment: env)).Text);
            foreach (var entry in entries)
            {
                Remove(files, entry.Path);
                if (entry.Sha is null && entry.Content is null)
                    continue;
                var sha = entry.Sha;
                if (entry.Content is not null)
                {
                    var blob = await GitCommand.RunAsync(path, ["hash-object", "-w", "--stdin"], ct, entry.Content, env);
                    if (!blob.Succeeded)
                        return blob;
                    sha = blob.Text.Trim();
                }
                if (entry.Type == "tree")
                    Add(files, entry.Path + "/", (await GitCommand.RunAsync(path, ["ls-tree", "-z", "-r", sha!], ct, environment: env)).Text);
                else
                    files[entry.Path] = (entry.Mode, sha!);
            }
            env["GIT_INDEX_FILE"] = Path.Combine(env["GIT_OBJECT_DIRECTORY"], "index");
            var index = new StringBuilder();
            foreach (var (name, (mode, sha)) in files)
                index.Append(CultureInfo.InvariantCulture, $"{mode} {sha}\t{name}\0");
            var listed = await GitCommand.RunAsync(path, ["update-index", "--add", "-z", "--index-info"], ct, Encoding.UTF8.GetBytes(index.ToString()), env);
            // update-index skips a path git may not check out (.git/…, a/../b) with a warning and success: refused here.
            if (!listed.Succeeded || listed.Error.Length > 0)
                return listed with { ExitCode = Math.Max(listed.ExitCode, 1) };
            return await GitCommand.RunAsync(path, ["write-tree"], ct, environment: env);
        }, ct);

    /// <summary>Files of an <c>ls-tree -r</c> listing, under <paramref name="prefix"/>.</summary>
    private static void Add(SortedDictionary<string, (string Mode, string Sha)> files, string prefix, string listing)
    {
        foreach (var item in Parse(listing))
            files[prefix + item.Path] = (item.Mode, item.Sha);
    }

    /// <summary>Clears the way for <paramref name="path"/>: the path, whatever lies under it, and a file where one of its folders goes.</summary>
    private static void Remove(SortedDictionary<string, (string Mode, string Sha)> files, string path)
    {
        foreach (var under in files.Keys.Where(k => k == path || k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
            files.Remove(under);
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
            files.Remove(path[..slash]);
    }

    /// <summary>Whether a tree entry's mode and type go together, as git writes them.</summary>
    public static bool IsValidEntry(string mode, string type) =>
        Modes.Contains(mode) && type == mode switch { "040000" => "tree", "160000" => "commit", _ => "blob" };

    public Task<GitWrite> WriteCommitAsync(Repository repo, string tree, IReadOnlyList<string> parents, string message,
        GitSignature author, GitSignature committer, CancellationToken ct) =>
        WriteAsync(repo, async (path, env) =>
        {
            env["GIT_AUTHOR_NAME"] = author.Name;
            env["GIT_AUTHOR_EMAIL"] = author.Email;
            env["GIT_AUTHOR_DATE"] = author.Stamp;
            env["GIT_COMMITTER_NAME"] = committer.Name;
            env["GIT_COMMITTER_EMAIL"] = committer.Email;
            env["GIT_COMMITTER_DATE"] = committer.Stamp;
            List<string> args = ["commit-tree", tree];
            foreach (var parent in parents)
                args.AddRange(["-p", parent]);
            // The message goes in on stdin, kept as given.
            return await GitCommand.RunAsync(path, args, ct, Encoding.UTF8.GetBytes(message), env);
        }, ct);

    public Task<GitWrite> WriteTagAsync(Repository repo, string name, string message, string objectSha, string objectType, GitSignature tagger, CancellationToken ct) =>
        WriteAsync(repo, async (path, env) =>
        {
            // As git tag writes it: the message ends with a line break.
            var text = $"object {objectSha}\ntype {objectType}\ntag {name}\ntagger {tagger.Name} <{tagger.Email}> {tagger.Stamp}\n\n{message}{(message.EndsWith('\n') ? "" : "\n")}";
            return await GitCommand.RunAsync(path, ["mktag"], ct, Encoding.UTF8.GetBytes(text), env);
        }, ct);

    /// <summary>Runs <paramref name="build"/> with new objects going to a quarantine, then admits them if git's fsck passes them.</summary>
    private async Task<GitWrite> WriteAsync(Repository repo, Func<string, Dictionary<string, string>, Task<GitResult>> build, CancellationToken ct)
    {
        var path = store.PathOf(repo);
        using var quarantine = new ObjectQuarantine(path);
        var env = new Dictionary<string, string>();
        quarantine.Apply(env);
        var built = await build(path, env);
        if (!built.Succeeded)
            return GitWrite.Refused(GitMessage(built.Error));
        if (await quarantine.AdmitAsync(ct) is { } refused)
            return GitWrite.Refused("The object was refused by git's checks:\n" + refused);
        return new GitWrite(built.Text.Trim());
    }

    /// <summary>git's complaint, without lines naming the server's files.</summary>
    private static string GitMessage(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.Contains(Path.DirectorySeparatorChar + "objects", StringComparison.Ordinal))
            .ToList();
        return lines.Count > 0 ? "git refused the object: " + string.Join("\n", lines) : "git refused the object.";
    }

    /// <summary>
    /// Moves <paramref name="fullName"/> from <paramref name="expected"/> (null: the ref must not exist) to
    /// <paramref name="sha"/> (null: delete it) only if nobody moved it meanwhile; false when the ref was not where expected.
    /// </summary>
    public async Task<bool> MoveRefAsync(Repository repo, string fullName, string? expected, string? sha, CancellationToken ct)
    {
        string[] args = sha is null ? ["update-ref", "-d", fullName, expected!] : ["update-ref", fullName, sha, expected ?? NoObject];
        return (await GitCommand.RunAsync(store.PathOf(repo), args, ct)).Succeeded;
    }

    /// <summary>Whether <paramref name="descendant"/> contains <paramref name="ancestor"/> (a fast-forward from it).</summary>
    public async Task<bool> IsAncestorAsync(Repository repo, string ancestor, string descendant, CancellationToken ct) =>
        (await GitCommand.RunAsync(store.PathOf(repo), ["merge-base", "--is-ancestor", ancestor, descendant], ct)).Succeeded;
}
