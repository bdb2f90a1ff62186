using System.Security.Cryptography;
using System.Text;
using Latchkey.Repositories.History;

namespace Latchkey.Pages.Repositories;

/// <summary>
/// What the diff partial needs: the diff, where its files link, and the page a "Load diff" link reloads
/// (with the files already expanded kept expanded).
/// </summary>
public sealed record DiffView(Diff Diff, string RepoPath, string HeadSha, string PagePath, IReadOnlyCollection<string> Expanded)
{
    /// <summary>The anchor of a file's diff, as GitHub names it: "diff-" and the SHA-256 of its path.</summary>
    public static string Anchor(string path) => "diff-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)));

    public string LoadLink(string path) =>
        $"{PagePath}?{string.Join('&', Expanded.Append(path).Select(p => "expand=" + Uri.EscapeDataString(p)))}#{Anchor(path)}";
}
