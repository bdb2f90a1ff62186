using System.Text.RegularExpressions;

namespace Latchkey.Repositories;

/// <summary>GitHub's rules for repository names. Names never become paths: storage uses ids.</summary>
public static partial class RepositoryNames
{
    public const int MaxLength = 100;
    public const int MaxDescriptionLength = 350;

    [GeneratedRegex("^[A-Za-z0-9._-]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Allowed();

    /// <summary>Null when the name is acceptable, otherwise why not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return "Repository name is required.";
        if (name.Length > MaxLength)
            return $"Repository name is too long (maximum is {MaxLength} characters).";
        if (!Allowed().IsMatch(name))
            return "Repository names may contain only ASCII letters, digits, '.', '-' and '_'.";
        if (name is "." or "..")
            return "Repository name cannot be '.' or '..'.";
        if (name.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
            return "Repository names cannot end with '.git'.";
        return null;
    }

    /// <summary>Git clients address a repository as NAME or NAME.git.</summary>
    public static string StripGitSuffix(string name) =>
        name.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
}
