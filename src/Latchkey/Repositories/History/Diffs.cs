using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Latchkey.Git;
using Microsoft.Extensions.Options;

namespace Latchkey.Repositories.History;

/// <summary>How much of a file's diff a view shows.</summary>
public enum DiffDisplay
{
    /// <summary>The hunks are there (or the file has none: binary, renamed without changes).</summary>
    Shown,

    /// <summary>Large, within the limits: "Load diff" asks for it.</summary>
    Collapsed,

    /// <summary>Past the limits of one file: "This diff is too large to display."</summary>
    TooLarge,

    /// <summary>Past the limits of the whole diff: only its name and counts.</summary>
    Omitted,
}

/// <summary>One line of a hunk: ' ' context, '+' added, '-' removed, '\' git's "No newline at end of file".</summary>
public sealed record DiffLine(char Kind, int? OldNumber, int? NewNumber, string Text);

public sealed record DiffHunk(string Header, IReadOnlyList<DiffLine> Lines);

/// <summary>
/// A changed file. <see cref="Status"/> uses GitHub's words (added, removed, modified, renamed, copied,
/// changed); <see cref="Patch"/> is the unified diff from the first "@@", as GitHub's API gives it.
/// </summary>
public sealed record FileDiff(string Path, string? PreviousPath, string Status, int Additions, int Deletions, bool Binary,
    string OldBlob, string NewBlob, DiffDisplay Display, string? Patch, IReadOnlyList<DiffHunk> Hunks)
{
    public int Changes => Additions + Deletions;
}

/// <summary>
/// A diff between two commits. <see cref="Files"/> holds at most <see cref="Diffs.MaxFiles"/>;
/// <see cref="ChangedFiles"/> counts them all.
/// </summary>
public sealed record Diff(IReadOnlyList<FileDiff> Files, int ChangedFiles, int Additions, int Deletions, bool TooManyFiles, bool TooManyLines);

/// <summary>
/// Diffs of a commit (against its first parent, or the empty tree for a root commit) and of a
/// comparison, within GitHub's limits: counts come first (<c>--numstat</c>, small whatever the files),
/// then patches only for the files small enough to show, with git's output bounded in bytes, so a
/// 50 MB change never reaches memory. All of it runs within <c>Git:BrowseSeconds</c>.
/// </summary>
public sealed partial class Diffs(RepositoryStore store, IOptions<GitOptions> options)
{
    // GitHub's published diff limits (docs: "Repository limits").
    public const int MaxFiles = 300;
    public const int MaxTotalLines = 20_000;
    public const int MaxTotalBytes = 1024 * 1024;
    public const int MaxFileLines = 20_000;
    public const int MaxFileBytes = 500 * 1024;
    public const int AutoLoadLines = 400;
    public const int AutoLoadBytes = 20 * 1024;

    /// <summary>The changes <paramref name="to"/> makes on <paramref name="from"/> (null: the empty tree, for a root commit).</summary>
    /// <param name="expanded">Whether a large file was asked for ("Load diff"): it is then shown up to the per-file limits.</param>
    public async Task<Diff> BetweenAsync(Repository repo, string? from, string to, Func<string, bool> expanded, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var limit = options.Value.BrowseLimit;
        var path = store.PathOf(repo);
        try
        {
            from ??= (await GitCommand.RunAsync(path, ["hash-object", "-t", "tree", "--stdin"], ct, input: [])).Text.Trim();
            var listing = await GitCommand.RunWithinAsync(path,
                ["diff-tree", "-r", "-M", "-z", "--no-abbrev", "--raw", "--numstat", from, to], limit, ct);
            if (!listing.Succeeded)
                throw new InvalidOperationException($"git diff-tree failed: {listing.Error.Trim()}");
            var changes = ParseListing(listing.Text);
            var shown = changes.Take(MaxFiles).ToList();

            // Which files get a patch: by their line counts first, within the per-file and total limits.
            var displays = new DiffDisplay[shown.Count];
            var lines = 0;
            var wanted = new List<int>();
            for (var i = 0; i < shown.Count; i++)
            {
                var change = shown[i];
                var count = change.Additions + change.Deletions;
                displays[i] = change.Binary || count == 0 ? DiffDisplay.Shown
                    : count > MaxFileLines ? DiffDisplay.TooLarge
                    : lines + count > MaxTotalLines ? DiffDisplay.Omitted
                    : count > AutoLoadLines && !expanded(change.Path) ? DiffDisplay.Collapsed
                    : DiffDisplay.Shown;
                if (displays[i] == DiffDisplay.Shown && !change.Binary && count > 0)
                {
                    wanted.Add(i);
                    lines += count;
                }
            }

            var patches = await PatchesAsync(path, from, to, wanted.Select(i => shown[i]).ToList(), () => limit - deadline.Elapsed, ct);
            var files = new List<FileDiff>();
            var bytes = 0;
            for (var i = 0; i < shown.Count; i++)
            {
                var change = shown[i];
                var at = wanted.IndexOf(i);
                var patch = at >= 0 ? patches[at] : null;
                var display = displays[i];
                if (at >= 0)
                {
                    display = patch is null ? DiffDisplay.TooLarge
                        : bytes + patch.Length > MaxTotalBytes ? DiffDisplay.Omitted
                        : patch.Length > AutoLoadBytes && !expanded(change.Path) ? DiffDisplay.Collapsed
                        : DiffDisplay.Shown;
                    if (display == DiffDisplay.Shown)
                        bytes += patch!.Length;
                }
                var kept = display == DiffDisplay.Shown ? patch : null;
                files.Add(change with { Display = display, Patch = kept, Hunks = kept is null ? [] : ParseHunks(kept) });
            }
            return new Diff(files, changes.Count, changes.Sum(c => c.Additions), changes.Sum(c => c.Deletions),
                changes.Count > MaxFiles, files.Any(f => f.Display == DiffDisplay.Omitted));
        }
        catch (GitTimeoutException)
        {
            throw new GitTimeoutException(limit);
        }
    }

    /// <summary>
    /// The patch text (from the first "@@") of each file, in order; null for one whose patch passed
    /// <see cref="MaxFileBytes"/>. One git for all of them; when their sum is too large, one per file.
    /// </summary>
    private static async Task<string?[]> PatchesAsync(string path, string from, string to, List<FileDiff> files, Func<TimeSpan> remaining, CancellationToken ct)
    {
        if (files.Count == 0)
            return [];
        try
        {
            var all = await PatchTextAsync(path, from, to, files, MaxTotalBytes + (files.Count * 8192L), remaining(), ct);
            if (all is not null && all.Count == files.Count)
                return [.. all];
        }
        catch (GitOutputTooLargeException)
        {
        }
        var each = new string?[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            try
            {
                each[i] = (await PatchTextAsync(path, from, to, [files[i]], MaxFileBytes + 8192L, remaining(), ct))?.SingleOrDefault();
            }
            catch (GitOutputTooLargeException)
            {
                each[i] = null;
            }
        }
        return each;
    }

    private static async Task<List<string>?> PatchTextAsync(string path, string from, string to, List<FileDiff> files, long maxBytes, TimeSpan limit, CancellationToken ct)
    {
        if (limit <= TimeSpan.Zero)
            throw new GitTimeoutException(limit);
        List<string> args = ["--literal-pathspecs", "diff-tree", "-r", "-M", "-p", "--no-color", "--no-ext-diff", "--no-textconv", from, to, "--"];
        foreach (var file in files)
        {
            args.Add(file.Path);
            if (file.PreviousPath is { } previous)
                args.Add(previous);
        }
        var result = await GitCommand.RunWithinAsync(path, args, limit, ct, maxOutputBytes: maxBytes);
        return result.Succeeded ? SplitPatches(result.Text) : null;
    }

    /// <summary>git's patch output cut per file, each from its first "@@" (the headers before it dropped).</summary>
    private static List<string> SplitPatches(string text)
    {
        var patches = new List<string>();
        StringBuilder? current = null;
        var inHunks = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                if (current is not null)
                    patches.Add(current.ToString().TrimEnd('\n'));
                current = new StringBuilder();
                inHunks = false;
                continue;
            }
            inHunks |= line.StartsWith("@@ ", StringComparison.Ordinal);
            if (inHunks)
                current?.Append(line).Append('\n');
        }
        if (current is not null)
            patches.Add(current.ToString().TrimEnd('\n'));
        return patches;
    }

    private static List<DiffHunk> ParseHunks(string patch)
    {
        var hunks = new List<DiffHunk>();
        List<DiffLine>? lines = null;
        int oldLine = 0, newLine = 0;
        foreach (var line in patch.Split('\n'))
        {
            if (HunkHeader().Match(line) is { Success: true } header)
            {
                oldLine = int.Parse(header.Groups[1].Value, CultureInfo.InvariantCulture);
                newLine = int.Parse(header.Groups[2].Value, CultureInfo.InvariantCulture);
                lines = [];
                hunks.Add(new DiffHunk(line, lines));
                continue;
            }
            if (lines is null || line.Length == 0)
                continue;
            var text = line[1..];
            switch (line[0])
            {
                case '+':
                    lines.Add(new DiffLine('+', null, newLine++, text));
                    break;
                case '-':
                    lines.Add(new DiffLine('-', oldLine++, null, text));
                    break;
                case ' ':
                    lines.Add(new DiffLine(' ', oldLine++, newLine++, text));
                    break;
                default:
                    lines.Add(new DiffLine('\\', null, null, line));
                    break;
            }
        }
        return hunks;
    }

    /// <summary>
    /// `diff-tree -z --raw --numstat`: first ":oldmode newmode oldsha newsha STATUS\0path\0" (two paths
    /// for a rename or copy), then, in the same order, "adds\tdels\tpath\0" ("-" for binary; an empty
    /// path and then two for a rename).
    /// </summary>
    private static List<FileDiff> ParseListing(string text)
    {
        var tokens = text.Split('\0');
        var files = new List<FileDiff>();
        var i = 0;
        while (i < tokens.Length && tokens[i].StartsWith(':'))
        {
            var fields = tokens[i][1..].Split(' ');
            var letter = fields[4][0];
            var renamed = letter is 'R' or 'C';
            var (previous, current) = renamed ? (tokens[i + 1], tokens[i + 2]) : ((string?)null, tokens[i + 1]);
            var status = letter switch
            {
                'A' => "added",
                'D' => "removed",
                'R' => "renamed",
                'C' => "copied",
                'T' => "changed",
                _ => "modified",
            };
            files.Add(new FileDiff(current, previous, status, 0, 0, false, fields[2], fields[3], DiffDisplay.Shown, null, []));
            i += renamed ? 3 : 2;
        }
        for (var n = 0; n < files.Count && i < tokens.Length; n++)
        {
            var counts = tokens[i].Split('\t');
            var binary = counts[0] == "-";
            files[n] = files[n] with
            {
                Binary = binary,
                Additions = binary ? 0 : int.Parse(counts[0], CultureInfo.InvariantCulture),
                Deletions = binary ? 0 : int.Parse(counts[1], CultureInfo.InvariantCulture),
            };
            i += counts[2].Length == 0 ? 3 : 1;
        }
        return files;
    }

    [GeneratedRegex(@"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")]
    private static partial Regex HunkHeader();
}
