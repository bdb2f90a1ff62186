using System.Text.RegularExpressions;

namespace Latchkey.Accounts;

/// <summary>GitHub's username rules, plus names that would collide with Latchkey's own routes.</summary>
public static partial class UsernameRules
{
    public const int MaxLength = 39;

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "about", "admin", "api", "assets", "avatars", "css", "dashboard", "explore", "favicon.ico", "help",
        "js", "lib", "login", "logout", "new", "organizations", "settings", "signup", "site", "static",
        "robots.txt", "security", "sessions", "users", "git", "latchkey", "img", "images",
    };

    public static string? Validate(string? username)
    {
        if (string.IsNullOrWhiteSpace(username))
            return "Username is required.";
        if (username.Length > MaxLength)
            return $"Username is too long (maximum is {MaxLength} characters).";
        if (!Shape().IsMatch(username))
            return "Username may only contain alphanumeric characters or single hyphens, and cannot begin or end with a hyphen.";
        if (Reserved.Contains(username))
            return $"Username '{username}' is unavailable.";
        return null;
    }

    /// <summary>The same normalisation Identity applies, so lookups hit its unique index.</summary>
    public static string Normalize(string username) => username.ToUpperInvariant();
}
