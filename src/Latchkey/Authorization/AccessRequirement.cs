using Latchkey.Tokens;
using Microsoft.AspNetCore.Authorization;

namespace Latchkey.Authorization;

/// <summary>
/// What an endpoint needs, declared on it as metadata (<c>.Requires(...)</c>). The same declaration is
/// enforced (through <see cref="AccessRequirementHandler"/> and <see cref="AccessPolicy"/>) and
/// advertised (GitHub's X-Accepted-OAuth-Scopes and X-Accepted-GitHub-Permissions), so what an
/// endpoint says it accepts and what it lets through cannot drift apart.
/// </summary>
public abstract record AccessRequirement : IAuthorizationRequirement
{
    /// <summary>The classic scopes that satisfy the credential's part of it (X-Accepted-OAuth-Scopes).</summary>
    public abstract IReadOnlyList<string> AcceptedScopes { get; }

    /// <summary>The fine-grained permissions that do ("contents=write"), as X-Accepted-GitHub-Permissions writes them.</summary>
    public abstract IReadOnlyList<string> AcceptedPermissions { get; }
}

/// <summary>An action on one repository: <c>{owner}/{repo}</c> routes, loaded and decided once per request.</summary>
public sealed record RepositoryRequirement(RepoAction Action) : AccessRequirement
{
    public override IReadOnlyList<string> AcceptedScopes => AccessPolicy.ScopesFor(Action);
    public override IReadOnlyList<string> AcceptedPermissions => [AccessPolicy.PermissionFor(Action)];
}

/// <summary>Creating a repository under the caller's account (the resource is its visibility: true for private).</summary>
public sealed record CreateRepositoryRequirement : AccessRequirement
{
    public static CreateRepositoryRequirement Instance { get; } = new();
    public override IReadOnlyList<string> AcceptedScopes => [Scopes.PublicRepo, Scopes.Repo];
    public override IReadOnlyList<string> AcceptedPermissions => ["administration=write"];
}

/// <summary>The caller's own account: a session always, a classic token with the scope, a fine-grained token with the permission.</summary>
/// <param name="HiddenWithoutScope">As GitHub: a classic token without the scope hears 404, not 403 (GET /user/emails).</param>
public sealed record AccountRequirement(string Scope, string Permission, PermissionLevel Level, bool HiddenWithoutScope = false) : AccessRequirement
{
    public override IReadOnlyList<string> AcceptedScopes => [Scope];
    public override IReadOnlyList<string> AcceptedPermissions => [$"{Permission}={FineGrainedPermissions.LevelName(Level)}"];
}

/// <summary>Any signed-in caller, whatever the credential; needs no scope (GET /user).</summary>
public sealed record SignedInRequirement : AccessRequirement
{
    public static SignedInRequirement Instance { get; } = new();
    public override IReadOnlyList<string> AcceptedScopes => [];
    public override IReadOnlyList<string> AcceptedPermissions => [];
}

/// <summary>A caller with a personal access token of either kind (GET /user/token describes the token).</summary>
public sealed record TokenCallerRequirement : AccessRequirement
{
    public static TokenCallerRequirement Instance { get; } = new();
    public override IReadOnlyList<string> AcceptedScopes => [];
    public override IReadOnlyList<string> AcceptedPermissions => [];
}

/// <summary>Listing, accepting and declining the caller's repository invitations.</summary>
public sealed record InvitationRequirement : AccessRequirement
{
    public static InvitationRequirement Instance { get; } = new();
    public override IReadOnlyList<string> AcceptedScopes => [Scopes.RepoInvite];
    public override IReadOnlyList<string> AcceptedPermissions => [];
}

/// <summary>Site administration: an administrator, through a session or a token with site_admin.</summary>
public sealed record SiteAdminRequirement : AccessRequirement
{
    public static SiteAdminRequirement Instance { get; } = new();
    public override IReadOnlyList<string> AcceptedScopes => [Scopes.SiteAdmin];
    public override IReadOnlyList<string> AcceptedPermissions => [];
}

/// <summary>Changing a repository between public and private (the resource is the repository).</summary>
public sealed record VisibilityChangeRequirement : AccessRequirement
{
    public static VisibilityChangeRequirement Instance { get; } = new();
    public override IReadOnlyList<string> AcceptedScopes => [Scopes.Repo];
    public override IReadOnlyList<string> AcceptedPermissions => ["administration=write"];
}

/// <summary>Endpoint metadata: this endpoint is open to anyone, credential or not (deny-by-default needs it said).</summary>
public sealed record AnonymousAccess
{
    public static AnonymousAccess Instance { get; } = new();
}

/// <summary>The decision behind a refusal, carried out of ASP.NET Core's authorization to the door that answers.</summary>
public sealed class DecisionReason(IAuthorizationHandler handler, Decision decision) : AuthorizationFailureReason(handler, decision.Kind.ToString())
{
    public Decision Decision { get; } = decision;
}

/// <summary>
/// ASP.NET Core's resource-based authorization handler for every <see cref="AccessRequirement"/>: it
/// asks <see cref="AccessPolicy"/>, the one decision table, about the request's <see cref="CurrentCaller"/>.
/// What a token's allowed request exercised is noted here, in memory, for the least-privilege advisor.
/// </summary>
public sealed class AccessRequirementHandler(CurrentCaller current, TokenUsageRecorder usage) : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        foreach (var requirement in context.PendingRequirements.OfType<AccessRequirement>().ToList())
        {
            var caller = current.Caller;
            var decision = AccessPolicy.Decide(caller, requirement, context.Resource);
            if (decision.IsAllowed && caller.TokenId is { } tokenId && caller.User is { IsSuspended: false })
                usage.Record(tokenId, AccessPolicy.Exercised(caller, requirement, context.Resource));
            if (decision.IsAllowed)
                context.Succeed(requirement);
            else
                context.Fail(new DecisionReason(this, decision));
        }
        return Task.CompletedTask;
    }
}

public static class AccessRequirementMetadata
{
    /// <summary>Declares what the endpoint (or every endpoint of a group) needs.</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, AccessRequirement requirement) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(requirement);

    /// <summary>Declares the endpoint open to anyone.</summary>
    public static TBuilder Anonymous<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AnonymousAccess.Instance);
}
