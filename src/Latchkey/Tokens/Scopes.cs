namespace Latchkey.Tokens;

/// <param name="Used">False for a scope whose feature this server does not have yet: it is granted and reported, and guards nothing.</param>
public sealed record ScopeInfo(string Name, string Description, string? Parent, bool AdminOnly = false, bool Used = true);

/// <summary>
/// Classic token scopes with GitHub's names, descriptions, order and hierarchy: the whole tree of
/// GitHub's "new token" form, so that tools which ask for a scope (gh wants read:org, VS Code and
/// Git Credential Manager links ask for repo,gist,workflow) find it. A parent implies its children
/// and the stored set is normalised. What each guards here is decided in AccessPolicy;
/// <see cref="ScopeInfo.Used"/> says which guard nothing yet.
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
    public const string ReadOrg = "read:org";
    public const string Gist = "gist";
    public const string Workflow = "workflow";

    /// <summary>The offered scopes, parents directly followed by their children, in GitHub's form order.</summary>
    public static IReadOnlyList<ScopeInfo> All { get; } =
    [
        new(Repo, "Full control of private repositories", null),
        new(RepoStatus, "Access commit status", Repo, Used: false),
        new("repo_deployment", "Access deployment status", Repo, Used: false),
        new(PublicRepo, "Access public repositories", Repo),
        new(RepoInvite, "Access repository invitations", Repo),
        new("security_events", "Read and write security events", Repo, Used: false),
        new(Workflow, "Update GitHub Action workflows", null, Used: false),
        new("write:packages", "Upload packages to GitHub Package Registry", null, Used: false),
        new("read:packages", "Download packages from GitHub Package Registry", "write:packages", Used: false),
        new("delete:packages", "Delete packages from GitHub Package Registry", null, Used: false),
        new("admin:org", "Full control of orgs and teams, read and write org projects", null, Used: false),
        new("write:org", "Read and write org and team membership, read and write org projects", "admin:org", Used: false),
        new(ReadOrg, "Read org and team membership, read org projects", "admin:org", Used: false),
        new("manage_runners:org", "Manage org runners and runner groups", "admin:org", Used: false),
        new("admin:public_key", "Full control of user public keys", null, Used: false),
        new("write:public_key", "Write user public keys", "admin:public_key", Used: false),
        new("read:public_key", "Read user public keys", "admin:public_key", Used: false),
        new("admin:repo_hook", "Full control of repository hooks", null, Used: false),
        new("write:repo_hook", "Write repository hooks", "admin:repo_hook", Used: false),
        new("read:repo_hook", "Read repository hooks", "admin:repo_hook", Used: false),
        new("admin:org_hook", "Full control of organization hooks", null, Used: false),
        new(Gist, "Create gists", null, Used: false),
        new("notifications", "Access notifications", null, Used: false),
        new(User, "Update ALL user data", null),
        new(ReadUser, "Read ALL user profile data", User, Used: false),
        new(UserEmail, "Access user email addresses (read-only)", User),
        new("user:follow", "Follow and unfollow users", User, Used: false),
        new(DeleteRepo, "Delete repositories", null),
        new("write:discussion", "Read and write team discussions", null, Used: false),
        new("read:discussion", "Read team discussions", "write:discussion", Used: false),
        new("admin:enterprise", "Full control of enterprises", null, AdminOnly: true, Used: false),
        new("manage_runners:enterprise", "Manage enterprise runners and runner groups", "admin:enterprise", AdminOnly: true, Used: false),
        new("manage_billing:enterprise", "Read and write enterprise billing data", "admin:enterprise", AdminOnly: true, Used: false),
        new("read:enterprise", "Read enterprise profile data", "admin:enterprise", AdminOnly: true, Used: false),
        new("audit_log", "Full control of audit log", null, Used: false),
        new("read:audit_log", "Read access of audit log", "audit_log", Used: false),
        new("codespace", "Full control of codespaces", null, Used: false),
        new("codespace:secrets", "Ability to create, read, update, and delete codespace secrets", "codespace", Used: false),
        new("copilot", "Full control of GitHub Copilot settings and seat assignments", null, Used: false),
        new("manage_billing:copilot", "View and edit Copilot Business seat assignments", "copilot", Used: false),
        new("project", "Full control of projects", null, Used: false),
        new("read:project", "Read access of projects", "project", Used: false),
        new("admin:gpg_key", "Full control of public user GPG keys", null, Used: false),
        new("write:gpg_key", "Write public user GPG keys", "admin:gpg_key", Used: false),
        new("read:gpg_key", "Read public user GPG keys", "admin:gpg_key", Used: false),
        new("admin:ssh_signing_key", "Full control of public user SSH signing keys", null, Used: false),
        new("write:ssh_signing_key", "Write public user SSH signing keys", "admin:ssh_signing_key", Used: false),
        new("read:ssh_signing_key", "Read public user SSH signing keys", "admin:ssh_signing_key", Used: false),
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
