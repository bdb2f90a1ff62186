using Latchkey.Hosting;
using Latchkey.Repositories;

namespace Latchkey.Pages.Repositories;

/// <summary>Links into the code view: the ref and each path segment escaped, their slashes kept (a ref may hold any character git allows).</summary>
public static class CodeUrls
{
    public static string Of(string owner, string repo, string view, string gitRef, string path = "") =>
        $"/{owner}/{repo}/{view}/{CatchAllPath.Escape(gitRef)}" + (path.Length > 0 ? "/" + CatchAllPath.Escape(path) : "");

    public static string Commit(string owner, string repo, string sha) => $"/{owner}/{repo}/commit/{sha}";

    /// <summary>What <paramref name="head"/> has that <paramref name="base"/> lacks.</summary>
    public static string Compare(string owner, string repo, string @base, string head) =>
        $"/{owner}/{repo}/compare/{CatchAllPath.Escape(@base)}...{CatchAllPath.Escape(head)}";
}

/// <summary>The branch/tag menu of the code view: each item opens the same <see cref="View"/> and <see cref="Path"/> on that ref.</summary>
public sealed record RefSwitcher(string Owner, string Repo, string Current, string View, string Path, RefNames Names, string? DefaultBranch)
{
    /// <summary>The menu shows this many of each; the branches and tags pages show all.</summary>
    public const int MaxShown = 50;

    public IEnumerable<string> Branches =>
        (DefaultBranch is { } main && Names.Branches.Contains(main) ? Names.Branches.Where(b => b != main).Prepend(main) : Names.Branches).Take(MaxShown);

    public string Link(string gitRef) => CodeUrls.Of(Owner, Repo, View, gitRef, Path);
}
