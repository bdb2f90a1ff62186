namespace Latchkey.Repositories;

/// <summary>
/// Git's own rules for reference names (<c>git check-ref-format</c>), for the names the server is
/// asked to create or move, so nothing the API writes is a ref git itself would refuse
/// (<c>main.lock</c>, <c>a//b</c>, <c>.hidden</c>) or one that reads as another
/// (<c>refs/heads/HEAD</c>, <c>refs/heads/refs/heads/main</c>).
/// </summary>
public static class GitRefNames
{
    /// <summary>A full name such as <c>refs/heads/main</c> or <c>refs/tags/v1.0</c>, by check-ref-format's rules.</summary>
    public static bool IsValidFullName(string name)
    {
        if (name.Length is 0 or > 255 || name == "@" || name.EndsWith('.') || name.Contains("..", StringComparison.Ordinal)
            || name.Contains("@{", StringComparison.Ordinal) || !name.StartsWith("refs/", StringComparison.Ordinal))
            return false;
        foreach (var c in name)
        {
            if (c < 0x20 || c == 0x7f || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\')
                return false;
        }
        // Leading, trailing or doubled slashes leave an empty component.
        foreach (var component in name.Split('/'))
        {
            if (component.Length == 0 || component.StartsWith('.') || component.EndsWith(".lock", StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    /// <summary>
    /// A branch's short name, as the contents API and branch parameters take it: valid under
    /// <c>refs/heads/</c>, not a full name, not <c>HEAD</c>, not an option (as <c>git branch</c> refuses them).
    /// </summary>
    public static bool IsValidBranchName(string name) =>
        name is not ("HEAD" or "")
        && !name.StartsWith('-')
        && !name.StartsWith("refs/", StringComparison.Ordinal)
        && IsValidFullName("refs/heads/" + name);

    /// <summary>GitHub's answer to a name that is not a valid ref.</summary>
    public static string NotValid(string fullName) => $"{fullName} is not a valid ref name.";
}
