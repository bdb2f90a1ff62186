namespace Latchkey.Tokens;

public sealed record ScopeInfo(string Name, string Description, string? Parent, bool AdminOnly = false);

/// <summary>
/// Classic token scopes with GitHub's names and hierarchy. Only scopes that guard something in
/// Latchkey are offered; a parent implies its children and the stored set is normalised.
/// </summary>
public static class Scopes
{
    public const string Repo = "repo";
    public const string RepoStatus = "repo:status";
    public const string PublicRepo = "public_repo";
    public const string RepoInvite = "repo:invite";
    public const string DeleteRepo = "delete_repo";
    public const string User = "user";
    public const string ReadUser = "read:user";
    public const string UserEmail = "user:email";
    public const string SiteAdmin = "site_admin";

    /// <summary>The offered scopes, parents directly followed by their children, in form order.</summary>
    public static IReadOnlyList<ScopeInfo> All { get; } =
    [
        new(Repo, "Full control of private repositories", null),
        new(RepoStatus, "Access commit status", Repo),
        new(PublicRepo, "Access public repositories", Repo),
        new(RepoInvite, "Access repository invitations", Repo),
        new(DeleteRepo, "Delete repositories", null),
        new(User, "Update ALL user data", null),
        new(ReadUser, "Read ALL user profile data", User),
        new(UserEmail, "Access user email addresses (read-only)", User),
        new(SiteAdmin, "Full control of this Latchkey server's administration", null, AdminOnly: true),
    ];

    private static readonly Dictionary<string, ScopeInfo> ByName = All.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public static bool IsKnown(string name) => ByName.ContainsKey(name);

    public static ScopeInfo? Find(string name) => ByName.GetValueOrDefault(name);

    public static IEnumerable<ScopeInfo> ChildrenOf(string parent) => All.Where(s => s.Parent == parent);

    /// <summary>
    /// Drops duplicates and any child whose parent is present, and orders the rest as in <see cref="All"/>.
    /// Unknown names are the caller's job to refuse first.
    /// </summary>
    public static IReadOnlyList<string> Normalise(IEnumerable<string> names)
    {
        var set = new HashSet<string>(names, StringComparer.Ordinal);
        return All
            .Where(s => set.Contains(s.Name) && (s.Parent is null || !set.Contains(s.Parent)))
            .Select(s => s.Name)
            .ToList();
    }

    /// <summary>True when the normalised set grants <paramref name="scope"/> itself or through its parent.</summary>
    public static bool Grants(IReadOnlyCollection<string> granted, string scope)
    {
        if (granted.Contains(scope))
            return true;
        var parent = Find(scope)?.Parent;
        return parent is not null && granted.Contains(parent);
    }

    public static string Join(IEnumerable<string> scopes) => string.Join(", ", scopes);

    public static IReadOnlyList<string> Split(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
