using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Authorization;

public enum RepoAction
{
    /// <summary>See the repository and its metadata (a fine-grained token's Metadata permission).</summary>
    Read,

    /// <summary>Read its contents: clone, fetch, files, branches, commits (Contents read).</summary>
    ReadContents,
    Write,
    Admin,
    Delete,
}

public enum DecisionKind
{
    Allow,

    /// <summary>The caller is anonymous and must authenticate first (401).</summary>
    Challenge,

    /// <summary>The caller may not know the resource exists (404).</summary>
    NotFound,

    /// <summary>The caller sees the resource but may not do this (403).</summary>
    Forbidden,
}

/// <param name="MissingScope">The classic scope that would have allowed it (X-Accepted-OAuth-Scopes).</param>
/// <param name="MissingPermission">The fine-grained permission that would have allowed it, as GitHub writes it: "contents=write".</param>
public sealed record Decision(DecisionKind Kind, string? MissingScope = null, string? MissingPermission = null)
{
    public static Decision Allow { get; } = new(DecisionKind.Allow);
    public static Decision Challenge { get; } = new(DecisionKind.Challenge);
    public static Decision NotFound { get; } = new(DecisionKind.NotFound);

    public bool IsAllowed => Kind == DecisionKind.Allow;
}

/// <summary>
/// The one place that decides what a caller may do. The effective right is the intersection of
/// what the user may do and what the credential allows. Git, the API and the web all ask here.
/// </summary>
public static class AccessPolicy
{
    public static Decision Decide(Caller caller, RepoAction action, Repository repo)
    {
        var user = caller.User;
        var isOwner = user is not null && user.Id == repo.OwnerId;
        var granted = user is null ? null : repo.Collaborators.FirstOrDefault(c => c.UserId == user.Id)?.Permission;

        // A fine-grained token reaches only the repositories it was given; a private one it does not
        // reach is as absent as one that does not exist. Public repositories stay readable.
        var fineGrained = GrantOf(caller);
        var reaches = fineGrained?.Reaches(repo.Id, repo.IsPrivate) ?? true;
        var userMayRead = !repo.IsPrivate || isOwner || granted is not null;
        var credentialMayRead = !repo.IsPrivate || (CredentialAllows(caller, Scopes.Repo) && reaches);
        if (!(userMayRead && credentialMayRead))
            return caller.IsAuthenticated ? Decision.NotFound : Decision.Challenge;

        if (action == RepoAction.Read)
            return Decision.Allow;
        if (action == RepoAction.ReadContents)
        {
            if (!repo.IsPrivate || fineGrained is null || fineGrained.Permissions.Grants(FineGrainedPermissions.Contents, PermissionLevel.Read))
                return Decision.Allow;
            return new Decision(DecisionKind.Forbidden, MissingPermission: "contents=read");
        }
        if (!caller.IsAuthenticated)
            return Decision.Challenge;

        // The owner may do everything; collaborators what their permission says.
        var userMay = isOwner || action switch
        {
            RepoAction.Write => granted is CollaboratorRole.Push or CollaboratorRole.Admin,
            RepoAction.Admin or RepoAction.Delete => granted is CollaboratorRole.Admin,
            _ => false,
        };
        if (fineGrained is not null)
        {
            var (key, needed) = action == RepoAction.Write ? (FineGrainedPermissions.Contents, "contents=write") : (FineGrainedPermissions.Administration, "administration=write");
            var tokenMay = reaches && fineGrained.Access != RepositoryAccess.PublicOnly && fineGrained.Permissions.Grants(key, PermissionLevel.Write);
            if (userMay && tokenMay)
                return Decision.Allow;
            return new Decision(DecisionKind.Forbidden, MissingPermission: userMay && reaches ? needed : null);
        }
        var (credentialMay, scope) = action switch
        {
            RepoAction.Write or RepoAction.Admin => repo.IsPrivate
                ? (CredentialAllows(caller, Scopes.Repo), Scopes.Repo)
                : (CredentialAllows(caller, Scopes.Repo) || CredentialAllows(caller, Scopes.PublicRepo), Scopes.PublicRepo),
            RepoAction.Delete => (CredentialAllows(caller, Scopes.DeleteRepo), Scopes.DeleteRepo),
            _ => (false, null),
        };
        if (userMay && credentialMay)
            return Decision.Allow;
        return new Decision(DecisionKind.Forbidden, userMay ? scope : null);
    }

    /// <summary>May the caller create a repository of this visibility under their own account?</summary>
    public static Decision DecideCreate(Caller caller, bool isPrivate)
    {
        if (!caller.IsAuthenticated)
            return Decision.Challenge;
        // As on GitHub: a fine-grained token creates repositories with Administration write over all repositories.
        if (GrantOf(caller) is { } grant)
        {
            return grant.Access == RepositoryAccess.All && grant.Permissions.Grants(FineGrainedPermissions.Administration, PermissionLevel.Write)
                ? Decision.Allow
                : new Decision(DecisionKind.Forbidden, MissingPermission: "administration=write");
        }
        var allowed = CredentialAllows(caller, Scopes.Repo) || (!isPrivate && CredentialAllows(caller, Scopes.PublicRepo));
        return allowed ? Decision.Allow : new Decision(DecisionKind.Forbidden, isPrivate ? Scopes.Repo : Scopes.PublicRepo);
    }

    /// <summary>Site administration: an administrator, through a session or a token with site_admin.</summary>
    public static Decision DecideSiteAdmin(Caller caller)
    {
        if (!caller.IsAuthenticated)
            return Decision.Challenge;
        if (caller.User!.IsSiteAdmin && !caller.User.IsSuspended && CredentialAllows(caller, Scopes.SiteAdmin))
            return Decision.Allow;
        // Non-administrators are not told the administration exists.
        return caller.User.IsSiteAdmin ? new Decision(DecisionKind.Forbidden, Scopes.SiteAdmin) : Decision.NotFound;
    }

    /// <summary>
    /// Account-level access (the caller's own profile, emails): a session always, a classic token with
    /// <paramref name="scope"/>, a fine-grained token with <paramref name="permission"/> at <paramref name="level"/>.
    /// </summary>
    public static Decision DecideAccount(Caller caller, string scope, string permission, PermissionLevel level)
    {
        if (!caller.IsAuthenticated)
            return Decision.Challenge;
        return caller.Credential switch
        {
            CredentialKind.Session => Decision.Allow,
            CredentialKind.ClassicToken => caller.HasScope(scope) ? Decision.Allow : new Decision(DecisionKind.Forbidden, scope),
            CredentialKind.FineGrainedToken when GrantOf(caller)!.Permissions.Grants(permission, level) => Decision.Allow,
            _ => new Decision(DecisionKind.Forbidden, MissingPermission: $"{permission}={FineGrainedPermissions.LevelName(level)}"),
        };
    }

    /// <summary>A fine-grained caller's grant (nothing beyond public reads when it is missing); null for other credentials.</summary>
    private static FineGrainedGrant? GrantOf(Caller caller) =>
        caller.Credential == CredentialKind.FineGrainedToken ? caller.Grant ?? FineGrainedGrant.Nothing : null;

    /// <summary>
    /// What the credential itself lets through, before the user's own rights: sessions everything,
    /// classic tokens their scopes. For a fine-grained token this is only the gate to private
    /// repositories (its permissions are checked per action in <see cref="Decide"/>); it opens no
    /// scope-guarded door elsewhere.
    /// </summary>
    private static bool CredentialAllows(Caller caller, string scope) => caller.Credential switch
    {
        CredentialKind.Session => true,
        CredentialKind.ClassicToken => caller.HasScope(scope),
        CredentialKind.FineGrainedToken => scope == Scopes.Repo,
        _ => false,
    };
}
