using System.Text;

namespace Latchkey.Repositories;

public sealed record TreeEntry(string Name, string Type, string Mode, long? Size, string Sha = "")
{
    public bool IsDirectory => Type == "tree";
}

public enum RefKind
{
    Branch,
    Tag,
    Commit,
}

/// <summary>What a ref from a URL named, and the commit it points to.</summary>
public sealed record ResolvedRef(string Name, RefKind Kind, string Commit)
{
    /// <summary>As GitHub writes it in an archive link: refs/heads/…, refs/tags/…, or the sha as given.</summary>
    public string FullName => Kind switch
    {
        RefKind.Branch => "refs/heads/" + Name,
        RefKind.Tag => "refs/tags/" + Name,
        _ => Name,
    };
}

public sealed record CommitSummary(string Sha, string Subject, string AuthorName, DateTimeOffset When);

public sealed record CommitDetails(string Sha, string Tree, IReadOnlyList<string> Parents, string AuthorName, string AuthorEmail, DateTimeOffset AuthorDate,
    string CommitterName, string CommitterEmail, DateTimeOffset CommitterDate, string Message);

/// <summary>
/// Bare repositories on disk, addressed by ids (never by names, so no name reaches the filesystem),
/// and the read-only git plumbing that browsing needs.
/// </summary>
public sealed class RepositoryStore(string root, TimeProvider clock)
{
    public const string InitialBranch = "main";

    public string Root { get; } = root;

    public string PathOf(Repository repo) =>
        Path.Combine(Root, repo.OwnerId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            repo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".git");

    public async Task InitAsync(Repository repo, string? readme, string authorName, string authorEmail, CancellationToken ct)
    {
        var path = PathOf(repo);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await Run(Root, ["init", "--bare", "--quiet", "--initial-branch=" + InitialBranch, path], ct);
        if (readme is null)
            return;

        var blob = (await Run(path, ["hash-object", "-w", "--stdin"], ct, Encoding.UTF8.GetBytes(readme))).Trim();
        var tree = (await Run(path, ["mktree"], ct, Encoding.UTF8.GetBytes($"100644 blob {blob}\tREADME.md\n"))).Trim();
        var when = clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + " +0000";
        var identity = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = authorName,
            ["GIT_AUTHOR_EMAIL"] = authorEmail,
            ["GIT_AUTHOR_DATE"] = when,
            ["GIT_COMMITTER_NAME"] = authorName,
            ["GIT_COMMITTER_EMAIL"] = authorEmail,
            ["GIT_COMMITTER_DATE"] = when,
        };
        var commit = (await Run(path, ["commit-tree", tree, "-m", "Initial commit"], ct, env: identity)).Trim();
        await Run(path, ["update-ref", "refs/heads/" + InitialBranch, commit], ct);
    }

    public void Delete(Repository repo)
    {
        var path = PathOf(repo);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    /// <summary>The branch HEAD names, when it exists; otherwise null (an empty repository).</summary>
    public async Task<string?> DefaultBranchAsync(Repository repo, CancellationToken ct)
    {
        var path = PathOf(repo);
        var head = await GitCommand.RunAsync(path, ["symbolic-ref", "--short", "HEAD"], ct);
        if (!head.Succeeded)
            return null;
        var branch = head.Text.Trim();
        return await RefExistsAsync(path, "refs/heads/" + branch, ct) ? branch : null;
    }

    /// <summary>
    /// After a push into a repository whose HEAD names a missing branch (say the first push was
    /// "master"), point HEAD at a branch that exists, as GitHub does with the first pushed branch.
    /// </summary>
    public async Task RepairHeadAsync(Repository repo, CancellationToken ct)
    {
        if (await DefaultBranchAsync(repo, ct) is not null)
            return;
        var path = PathOf(repo);
        var refs = await GitCommand.RunAsync(path, ["for-each-ref", "--format=%(refname)", "refs/heads/"], ct);
        var names = refs.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var pick = names.FirstOrDefault(n => n == "refs/heads/" + InitialBranch) ?? names.FirstOrDefault();
        if (pick is null)
            return;
        // Two first pushes may race to set HEAD (HEAD.lock); losing that race is fine when the winner set it.
        var set = await GitCommand.RunAsync(path, ["symbolic-ref", "HEAD", pick], ct);
        if (!set.Succeeded && await DefaultBranchAsync(repo, ct) is null)
            throw new InvalidOperationException($"git symbolic-ref failed: {set.Error}");
    }

    public async Task<CommitSummary?> LastCommitAsync(Repository repo, string gitRef, string path, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef))
            return null;
        List<string> args = ["log", "-1", "--format=%H%x00%s%x00%an%x00%aI", gitRef, "--"];
        if (path.Length > 0)
            args.Add(path);
        var result = await GitCommand.RunAsync(PathOf(repo), args, ct);
        var parts = result.Text.TrimEnd('\n').Split('\0');
        if (!result.Succeeded || parts.Length != 4)
            return null;
        return new CommitSummary(parts[0], parts[1], parts[2], DateTimeOffset.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The object id at a path (blob or tree), or null.</summary>
    public async Task<string?> ObjectIdAsync(Repository repo, string gitRef, string path, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef) || !IsSafePath(path))
            return null;
        var result = await GitCommand.RunAsync(PathOf(repo), ["rev-parse", "--verify", "--quiet", $"{gitRef}:{path}"], ct);
        return result.Succeeded ? result.Text.Trim() : null;
    }

    /// <summary>A commit's fields: sha, tree, parents, author and committer (name, email, date), message.</summary>
    public async Task<CommitDetails?> CommitAsync(Repository repo, string gitRef, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef))
            return null;
        var result = await GitCommand.RunAsync(PathOf(repo), ["show", "-s", "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B", gitRef, "--"], ct);
        var parts = result.Text.Split('\0');
        if (!result.Succeeded || parts.Length < 10)
            return null;
        DateTimeOffset Date(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return new CommitDetails(parts[0], parts[1], parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries),
            parts[3], parts[4], Date(parts[5]), parts[6], parts[7], Date(parts[8]), parts[9].TrimEnd('\n'));
    }

    /// <summary>"tree", "blob", or null when the path does not exist at the ref.</summary>
    public async Task<string?> ObjectTypeAsync(Repository repo, string gitRef, string path, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef) || !IsSafePath(path))
            return null;
        var result = await GitCommand.RunAsync(PathOf(repo), ["cat-file", "-t", $"{gitRef}:{path}"], ct);
        return result.Succeeded ? result.Text.Trim() : null;
    }

    public async Task<IReadOnlyList<TreeEntry>> ListTreeAsync(Repository repo, string gitRef, string path, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef) || !IsSafePath(path))
            return [];
        var result = await GitCommand.RunAsync(PathOf(repo), ["ls-tree", "-z", "--long", $"{gitRef}:{path}"], ct);
        if (!result.Succeeded)
            return [];
        var entries = new List<TreeEntry>();
        foreach (var record in result.Text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <object> <size>\t<name>"
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
                continue;
            var fields = record[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long? size = fields.Length > 3 && long.TryParse(fields[3], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null;
            entries.Add(new TreeEntry(record[(tab + 1)..], fields[1], fields[0], size, fields[2]));
        }
        return entries
            .OrderBy(e => e.IsDirectory ? 0 : 1)
            .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    public async Task<byte[]?> ReadBlobAsync(Repository repo, string gitRef, string path, long maxBytes, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef) || !IsSafePath(path))
            return null;
        var size = await GitCommand.RunAsync(PathOf(repo), ["cat-file", "-s", $"{gitRef}:{path}"], ct);
        if (!size.Succeeded || !long.TryParse(size.Text.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var bytes) || bytes > maxBytes)
            return null;
        var result = await GitCommand.RunAsync(PathOf(repo), ["cat-file", "blob", $"{gitRef}:{path}"], ct, maxOutputBytes: maxBytes);
        return result.Succeeded ? result.Output : null;
    }

    /// <summary>
    /// The branch, tag or commit (a sha of 7 to 40 hex digits) that <paramref name="gitRef"/> names,
    /// also as refs/heads/… or refs/tags/…; a branch before a tag of the same name. Null when it names
    /// no commit. Only full ref names and hex go to git, never an expression.
    /// </summary>
    public async Task<ResolvedRef?> ResolveAsync(Repository repo, string gitRef, CancellationToken ct)
    {
        if (!IsSafeRef(gitRef))
            return null;
        ResolvedRef[] candidates = gitRef switch
        {
            _ when gitRef.StartsWith("refs/heads/", StringComparison.Ordinal) => [new(gitRef["refs/heads/".Length..], RefKind.Branch, "")],
            _ when gitRef.StartsWith("refs/tags/", StringComparison.Ordinal) => [new(gitRef["refs/tags/".Length..], RefKind.Tag, "")],
            _ when gitRef.Length is >= 7 and <= 40 && gitRef.All(char.IsAsciiHexDigit) =>
                [new(gitRef, RefKind.Branch, ""), new(gitRef, RefKind.Tag, ""), new(gitRef, RefKind.Commit, "")],
            _ => [new(gitRef, RefKind.Branch, ""), new(gitRef, RefKind.Tag, "")],
        };
        foreach (var candidate in candidates)
        {
            var result = await GitCommand.RunAsync(PathOf(repo), ["rev-parse", "--verify", "--quiet", "--end-of-options", candidate.FullName + "^{commit}"], ct);
            if (result.Succeeded)
                return candidate with { Commit = result.Text.Trim() };
        }
        return null;
    }

    /// <summary>
    /// Refs come from URLs: nothing that git could read as an option or a revision expression, but every
    /// character a ref name may hold (check-ref-format allows <c>&lt;</c>, <c>"</c>, <c>=</c>…), so each branch can be browsed.
    /// </summary>
    public static bool IsSafeRef(string gitRef) =>
        gitRef.Length is > 0 and <= 255
        && !gitRef.StartsWith('-')
        && !gitRef.Contains("..", StringComparison.Ordinal)
        && !gitRef.Contains("@{", StringComparison.Ordinal)
        && gitRef.All(c => c is > ' ' and < (char)0x7f and not ('~' or '^' or ':' or '?' or '*' or '[' or '\\') || c > (char)0x7f);

    public static bool IsSafePath(string path) =>
        path.Length <= 4096 && !path.Contains('\0', StringComparison.Ordinal) && !path.StartsWith('/')
        && path.Split('/').All(part => part is not (".." or "."));

    internal static async Task<string> Run(string directory, string[] args, CancellationToken ct, byte[]? input = null, IDictionary<string, string>? env = null)
    {
        var result = await GitCommand.RunAsync(directory, args, ct, input, env);
        if (!result.Succeeded)
            throw new InvalidOperationException($"git {args[0]} failed: {result.Error.Trim()}");
        return result.Text;
    }

    private static async Task<bool> RefExistsAsync(string path, string fullRef, CancellationToken ct) =>
        (await GitCommand.RunAsync(path, ["rev-parse", "--verify", "--quiet", fullRef + "^{commit}"], ct)).Succeeded;
}
