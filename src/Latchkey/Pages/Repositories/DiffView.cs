using System.Security.Cryptography;
using System.Text;
using Latchkey.Repositories.History;

namespace Latchkey.Pages.Repositories;

/// <summary>What the diff partial needs: the diff, where its files link, and the page a "Load diff" link reloads.</summary>
public sealed record DiffView(Diff Diff, string RepoPath, string HeadSha, string PagePath)
{
    /// <summary>The anchor of a file's diff, as GitHub names it: "diff-" and the SHA-256 of its path.</summary>
    public static string Anchor(string path) => "diff-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)));

    public string LoadLink(string path) => $"{PagePath}?expand={Uri.EscapeDataString(path)}#{Anchor(path)}";
}
