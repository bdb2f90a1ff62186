using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Authorization;

public enum RepoAction
{
    Read,
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

public sealed record Decision(DecisionKind Kind, string? MissingScope = null)
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

        var userMayRead = !repo.IsPrivate || isOwner || granted is not null;
        var credentialMayRead = !repo.IsPrivate || CredentialAllows(caller, Scopes.Repo);
        if (!(userMayRead && credentialMayRead))
            return caller.IsAuthenticated ? Decision.NotFound : Decision.Challenge;

        if (action == RepoAction.Read)
            return Decision.Allow;
        if (!caller.IsAuthenticated)
            return Decision.Challenge;

        // The owner may do everything; collaborators what their permission says.
        var userMay = isOwner || action switch
        {
            RepoAction.Write => granted is CollaboratorRole.Push or CollaboratorRole.Admin,
            RepoAction.Admin or RepoAction.Delete => granted is CollaboratorRole.Admin,
            _ => false,
        };
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

    private static bool CredentialAllows(Caller caller, string scope) => caller.Credential switch
    {
        CredentialKind.Session => true,
        CredentialKind.ClassicToken => caller.HasScope(scope),
        // Fine-grained tokens get their own permission model; until then they grant nothing.
        _ => false,
    };
}
