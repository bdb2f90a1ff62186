using System.Linq.Expressions;
using Latchkey.Accounts;
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
/// <param name="Message">What to tell the caller when the door has nothing better (a challenge for a token, a refused scope grant).</param>
public sealed record Decision(DecisionKind Kind, string? MissingScope = null, string? MissingPermission = null, string? Message = null)
{
    public static Decision Allow { get; } = new(DecisionKind.Allow);
    public static Decision Challenge { get; } = new(DecisionKind.Challenge);
    public static Decision NotFound { get; } = new(DecisionKind.NotFound);

    public bool IsAllowed => Kind == DecisionKind.Allow;
}

/// <summary>
/// The one place that decides what a caller may do. The effective right is the intersection of
/// what the user may do and what the credential allows. Git, the API, the web and the command line
/// all ask here; a suspended account is anonymous to every rule.
/// </summary>
public static class AccessPolicy
{
    /// <summary>Any requirement an endpoint declares, with its resource (a repository, a visibility, or none).</summary>
    public static Decision Decide(Caller caller, AccessRequirement requirement, object? resource) => requirement switch
    {
        RepositoryRequirement r when resource is Repository repo => Decide(caller, r.Action, repo),
        // A repository that does not exist (the door found none by that name).
        RepositoryRequirement when resource is null => DecideMissing(caller),
        CreateRepositoryRequirement => DecideCreate(caller, resource is true),
        AccountRequirement a => DecideAccount(caller, a),
        SignedInRequirement => Effective(caller).IsAuthenticated ? Decision.Allow : Decision.Challenge,
        TokenCallerRequirement => DecideTokenCaller(caller),
        InvitationRequirement => DecideInvitations(caller),
        SiteAdminRequirement => DecideSiteAdmin(caller),
        VisibilityChangeRequirement when resource is Repository repo => DecideVisibilityChange(caller, repo),
        // A requirement without the resource it needs allows nothing.
        _ => Decision.NotFound,
    };

    /// <summary>
    /// What an allowed request of a token exercised, for the least-privilege advisor
    /// (<see cref="TokenUsageRecorder"/>): the classic scope it needed, or the fine-grained permission
    /// and level, and the repository it reached. The least that would have allowed it, not what the
    /// token happens to hold (a public push needs public_repo, whether the token has repo or not).
    /// </summary>
    public static IEnumerable<string> Exercised(Caller caller, AccessRequirement requirement, object? resource)
    {
        var classic = caller.Credential == CredentialKind.ClassicToken;
        switch (requirement)
        {
            case RepositoryRequirement r when resource is Repository repo:
                yield return UsageGrant.Repository(repo.Id);
                if (classic)
                {
                    var scope = r.Action switch
                    {
                        RepoAction.Read or RepoAction.ReadContents => repo.IsPrivate ? Scopes.Repo : null,
                        RepoAction.Write or RepoAction.Admin => repo.IsPrivate ? Scopes.Repo : Scopes.PublicRepo,
                        _ => Scopes.DeleteRepo,
                    };
                    if (scope is not null)
                        yield return UsageGrant.Scope(scope);
                }
                else
                {
                    var (key, level) = r.Action switch
                    {
                        RepoAction.Read => (FineGrainedPermissions.Metadata, PermissionLevel.Read),
                        RepoAction.ReadContents => repo.IsPrivate ? (FineGrainedPermissions.Contents, PermissionLevel.Read) : (FineGrainedPermissions.Metadata, PermissionLevel.Read),
                        RepoAction.Write => (FineGrainedPermissions.Contents, PermissionLevel.Write),
                        _ => (FineGrainedPermissions.Administration, PermissionLevel.Write),
                    };
                    yield return UsageGrant.Permission(key, level);
                }
                break;
            case VisibilityChangeRequirement when resource is Repository repo:
                yield return UsageGrant.Repository(repo.Id);
                yield return classic ? UsageGrant.Scope(Scopes.Repo) : UsageGrant.Permission(FineGrainedPermissions.Administration, PermissionLevel.Write);
                break;
            case CreateRepositoryRequirement:
                yield return classic ? UsageGrant.Scope(resource is true ? Scopes.Repo : Scopes.PublicRepo)
                    : UsageGrant.Permission(FineGrainedPermissions.Administration, PermissionLevel.Write);
                break;
            case AccountRequirement a:
                yield return classic ? UsageGrant.Scope(a.Scope) : UsageGrant.Permission(a.Permission, a.Level);
                break;
            case InvitationRequirement when classic:
                yield return UsageGrant.Scope(Scopes.RepoInvite);
                break;
            case SiteAdminRequirement when classic:
                yield return UsageGrant.Scope(Scopes.SiteAdmin);
                break;
        }
    }

    /// <summary>The classic scopes that can allow <paramref name="action"/> (on a public repository, public_repo is enough to write).</summary>
    public static IReadOnlyList<string> ScopesFor(RepoAction action) => action switch
    {
        RepoAction.Write or RepoAction.Admin => [Scopes.PublicRepo, Scopes.Repo],
        RepoAction.Delete => [Scopes.DeleteRepo],
        _ => [Scopes.Repo],
    };

    /// <summary>The fine-grained permission <paramref name="action"/> needs, as GitHub writes it.</summary>
    public static string PermissionFor(RepoAction action) => action switch
    {
        RepoAction.Read => "metadata=read",
        RepoAction.ReadContents => "contents=read",
        RepoAction.Write => "contents=write",
        _ => "administration=write",
    };

    /// <summary>
    /// What a repository requirement can be answered with before the repository is looked up, or null
    /// when the answer needs it. An anonymous caller (a suspended account too) may write, administer or
    /// delete nothing, so it is challenged on those whether the repository is public, private or
    /// missing, as GitHub answers 401 before it looks: neither the answer nor the time it takes tells
    /// a private name from a missing one. Reads need the repository (a public one is readable).
    /// </summary>
    public static Decision? DecideBeforeLookup(Caller caller, RepositoryRequirement requirement) =>
        requirement.Action is RepoAction.Read or RepoAction.ReadContents || Effective(caller).IsAuthenticated ? null : Decision.Challenge;

    /// <summary>
    /// A repository that does not exist is answered as a private one the caller may not read
    /// (<see cref="Decide(Caller, RepoAction, Repository)"/>): a challenge to the anonymous, absent to
    /// everyone else, so that no door can tell the two apart.
    /// </summary>
    public static Decision DecideMissing(Caller caller) => Effective(caller).IsAuthenticated ? Decision.NotFound : Decision.Challenge;

    public static Decision Decide(Caller caller, RepoAction action, Repository repo)
    {
        caller = Effective(caller);
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
            return new Decision(DecisionKind.Forbidden, MissingPermission: PermissionFor(action));
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
            var key = action == RepoAction.Write ? FineGrainedPermissions.Contents : FineGrainedPermissions.Administration;
            var tokenMay = reaches && fineGrained.Access != RepositoryAccess.PublicOnly && fineGrained.Permissions.Grants(key, PermissionLevel.Write);
            if (userMay && tokenMay)
                return Decision.Allow;
            return new Decision(DecisionKind.Forbidden, MissingPermission: userMay && reaches ? PermissionFor(action) : null);
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

    /// <summary>
    /// <see cref="Decide(Caller, RepoAction, Repository)"/> for <see cref="RepoAction.Read"/> as a query
    /// filter, so that lists page in the database; AccessPolicyTests holds the two to the same answers.
    /// </summary>
    public static Expression<Func<Repository, bool>> ReadableBy(Caller caller)
    {
        caller = Effective(caller);
        if (caller.User is not { } user || !CredentialAllows(caller, Scopes.Repo) || GrantOf(caller) is { Access: RepositoryAccess.PublicOnly })
            return r => !r.IsPrivate;
        var id = user.Id;
        if (GrantOf(caller) is { Access: RepositoryAccess.Selected } grant)
        {
            var reached = grant.RepositoryIds.ToList();
            return r => !r.IsPrivate || ((r.OwnerId == id || r.Collaborators.Any(c => c.UserId == id)) && reached.Contains(r.Id));
        }
        return r => !r.IsPrivate || r.OwnerId == id || r.Collaborators.Any(c => c.UserId == id);
    }

    /// <summary>May the caller create a repository of this visibility under their own account?</summary>
    public static Decision DecideCreate(Caller caller, bool isPrivate)
    {
        caller = Effective(caller);
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

    /// <summary>
    /// Making a repository private or public, beyond administering it: a classic token needs the full
    /// repo scope; a fine-grained token Administration write on it, as for any other setting (as on GitHub).
    /// </summary>
    public static Decision DecideVisibilityChange(Caller caller, Repository repo)
    {
        var admin = Decide(caller, RepoAction.Admin, repo);
        if (!admin.IsAllowed || caller.Credential != CredentialKind.ClassicToken)
            return admin;
        return CredentialAllows(caller, Scopes.Repo) ? Decision.Allow : new Decision(DecisionKind.Forbidden, Scopes.Repo);
    }

    /// <summary>Site administration: an administrator, through a session or a token with site_admin.</summary>
    public static Decision DecideSiteAdmin(Caller caller)
    {
        caller = Effective(caller);
        if (!caller.IsAuthenticated)
            return Decision.Challenge;
        if (caller.User!.IsSiteAdmin && CredentialAllows(caller, Scopes.SiteAdmin))
            return Decision.Allow;
        // Non-administrators are not told the administration exists.
        return caller.User.IsSiteAdmin ? new Decision(DecisionKind.Forbidden, Scopes.SiteAdmin) : Decision.NotFound;
    }

    /// <summary>
    /// Account-level access (the caller's own profile, emails): a session always, a classic token with
    /// <paramref name="scope"/>, a fine-grained token with <paramref name="permission"/> at <paramref name="level"/>.
    /// </summary>
    public static Decision DecideAccount(Caller caller, string scope, string permission, PermissionLevel level) =>
        DecideAccount(caller, new AccountRequirement(scope, permission, level));

    public static Decision DecideAccount(Caller caller, AccountRequirement requirement)
    {
        caller = Effective(caller);
        if (!caller.IsAuthenticated)
            return Decision.Challenge;
        return caller.Credential switch
        {
            CredentialKind.Session => Decision.Allow,
            CredentialKind.ClassicToken when caller.HasScope(requirement.Scope) => Decision.Allow,
            CredentialKind.ClassicToken => new Decision(requirement.HiddenWithoutScope ? DecisionKind.NotFound : DecisionKind.Forbidden, requirement.Scope),
            CredentialKind.FineGrainedToken when GrantOf(caller)!.Permissions.Grants(requirement.Permission, requirement.Level) => Decision.Allow,
            _ => new Decision(DecisionKind.Forbidden, MissingPermission: requirement.AcceptedPermissions[0]),
        };
    }

    /// <summary>
    /// Listing, accepting and declining one's repository invitations needs no access to code: a
    /// session, or a classic token with repo:invite (or repo, its parent). Fine-grained tokens cannot,
    /// as on GitHub: no fine-grained permission covers invitations to other people's repositories.
    /// </summary>
    public static Decision DecideInvitations(Caller caller)
    {
        caller = Effective(caller);
        if (!caller.IsAuthenticated)
            return Decision.Challenge;
        return caller.Credential switch
        {
            CredentialKind.Session => Decision.Allow,
            CredentialKind.ClassicToken when caller.HasScope(Scopes.RepoInvite) => Decision.Allow,
            CredentialKind.ClassicToken => new Decision(DecisionKind.Forbidden, Scopes.RepoInvite),
            _ => new Decision(DecisionKind.Forbidden, Message: "Fine-grained personal access tokens cannot answer repository invitations; use a session or a classic token with repo:invite."),
        };
    }

    /// <summary>Endpoints about the calling token itself: any token, never a session or nobody.</summary>
    public static Decision DecideTokenCaller(Caller caller)
    {
        caller = Effective(caller);
        return caller.IsAuthenticated && caller.Credential is CredentialKind.ClassicToken or CredentialKind.FineGrainedToken
            ? Decision.Allow
            : new Decision(DecisionKind.Challenge, Message: "Requires authentication with a personal access token");
    }

    /// <summary>
    /// May <paramref name="owner"/> hold a classic token with these scopes? Administrators-only scopes
    /// (site_admin) are for site administrators, whichever door makes the token (form, regeneration, edit).
    /// </summary>
    public static Decision DecideScopeGrant(User owner, IEnumerable<string> scopes)
    {
        if (owner.IsSuspended)
            return new Decision(DecisionKind.Forbidden, Message: "A suspended account cannot be given tokens.");
        foreach (var scope in scopes)
        {
            if (Scopes.Find(scope) is not { } known)
                return new Decision(DecisionKind.Forbidden, Message: $"Unknown scope: {scope}.");
            if (known.AdminOnly && !owner.IsSiteAdmin)
                return new Decision(DecisionKind.Forbidden, scope, Message: $"Only site administrators may grant the {scope} scope.");
        }
        return Decision.Allow;
    }

    /// <summary>A suspended account may do nothing a signed-out visitor could not.</summary>
    private static Caller Effective(Caller caller) => caller.User is { IsSuspended: true } ? Caller.Anonymous : caller;

    /// <summary>A fine-grained caller's grant (nothing beyond public reads when it is missing); null for other credentials.</summary>
    private static FineGrainedGrant? GrantOf(Caller caller) =>
        caller.Credential == CredentialKind.FineGrainedToken ? caller.Grant ?? FineGrainedGrant.Nothing : null;

    /// <summary>
    /// What the credential itself lets through, before the user's own rights: sessions everything,
    /// classic tokens their scopes. For a fine-grained token this is only the gate to private
    /// repositories (its permissions are checked per action in <see cref="Decide(Caller, RepoAction, Repository)"/>); it opens no
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
