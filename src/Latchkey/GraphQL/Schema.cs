using System.Globalization;
using GraphQL;
using GraphQL.Types;
using Latchkey.Accounts;
using Latchkey.Api;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Repositories;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.GraphQL;

/// <summary>GitHub's GraphQL schema, the part this server serves: names, types and errors as GitHub has them.</summary>
public sealed class LatchkeySchema : Schema
{
    public LatchkeySchema(IServiceProvider services) : base(services)
    {
        Query = new QueryType();
        Mutation = new MutationType();
    }
}

/// <summary>What resolvers share: the request's caller, its services, and GitHub's error for what is not there.</summary>
internal static class Resolve
{
    public static CurrentCaller Current(this IResolveFieldContext context) => context.RequestServices!.GetRequiredService<CurrentCaller>();

    public static T Service<T>(this IResolveFieldContext context) where T : notnull => context.RequestServices!.GetRequiredService<T>();

    public static ApiUrls Urls(this IResolveFieldContext context) => ApiUrls.Of(context.Service<IHttpContextAccessor>().HttpContext!.Request);

    /// <summary>GitHub's answer for a repository the caller may not see, exactly as for one that does not exist.</summary>
    public static object? NotFound(this IResolveFieldContext context, string what)
    {
        context.Errors.Add(context.Error($"Could not resolve to a Repository with the name '{what}'.", "NOT_FOUND"));
        return null;
    }

    public static object? Refused(this IResolveFieldContext context, Decision decision, string fallback)
    {
        var message = decision switch
        {
            { MissingScope: { } scope } => $"Your token has not been granted the required scopes to execute this query. The '{context.FieldDefinition.Name}' field requires one of the following scopes: ['{scope}'].",
            { MissingPermission: not null } => ApiRefusals.NotAccessibleByToken,
            { Message: { } said } => said,
            _ => fallback,
        };
        context.Errors.Add(context.Error(message, decision.MissingScope is null ? "FORBIDDEN" : "INSUFFICIENT_SCOPES"));
        return null;
    }

    /// <summary>An error at this field, with its path, as GitHub reports it (gh prints "GraphQL: message (path)").</summary>
    public static ExecutionError Error(this IResolveFieldContext context, string message, string code) =>
        new(message) { Code = code, Path = context.ResponsePath };

    public static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}

public sealed class QueryType : ObjectGraphType
{
    public QueryType()
    {
        Name = "Query";
        Field<NonNullGraphType<UserType>>("viewer").Resolve(context => context.Current().User);
        Field<RepositoryType>("repository")
            .Argument<NonNullGraphType<StringGraphType>>("owner")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .ResolveAsync(async context =>
            {
                var owner = context.GetArgument<string>("owner");
                var name = context.GetArgument<string>("name");
                var repo = await context.Service<RepositoryService>().FindAsync(owner, name, context.CancellationToken);
                if (repo is null || !(await context.Service<Authorizer>().DecideAsync(new RepositoryRequirement(RepoAction.Read), repo)).IsAllowed)
                    return context.NotFound($"{owner}/{name}");
                return repo;
            });
        Field<UserType>("repositoryOwner").Argument<NonNullGraphType<StringGraphType>>("login").ResolveAsync(async context => await FindUserAsync(context));
        Field<UserType>("user").Argument<NonNullGraphType<StringGraphType>>("login").ResolveAsync(async context => await FindUserAsync(context));
    }

    private static async Task<object?> FindUserAsync(IResolveFieldContext context)
    {
        var login = context.GetArgument<string>("login");
        var normalized = UsernameRules.Normalize(login);
        var user = await context.Service<LatchkeyDb>().Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, context.CancellationToken);
        if (user is null)
            context.Errors.Add(context.Error($"Could not resolve to a User with the login of '{login}'.", "NOT_FOUND"));
        return user;
    }
}

public sealed class UserType : ObjectGraphType<User>
{
    public UserType()
    {
        Name = "User";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(context => NodeIds.For("User", context.Source.Id));
        Field<IntGraphType>("databaseId").Resolve(context => (int)context.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("login").Resolve(context => context.Source.UserName);
        Field<StringGraphType>("name").Resolve(context => context.Source.UserName);
        Field<NonNullGraphType<StringGraphType>>("url").Resolve(context => $"{context.Urls().Web}/{context.Source.UserName}");
        Field<NonNullGraphType<StringGraphType>>("avatarUrl").Argument<IntGraphType>("size")
            .Resolve(context => $"{context.Urls().Web}/avatars/u/{context.Source.Id}");
        Field<NonNullGraphType<BooleanGraphType>>("isSiteAdmin").Resolve(context => context.Source.IsSiteAdmin);
        // This server has no organizations: the connection gh asks for (CurrentLoginNameAndOrgs) is empty.
        Field<NonNullGraphType<OrganizationConnectionType>>("organizations").Argument<IntGraphType>("first").Argument<StringGraphType>("after")
            .Resolve(_ => Array.Empty<object>());
        Field<NonNullGraphType<RepositoryConnectionType>>("repositories")
            .Argument<IntGraphType>("first")
            .Argument<StringGraphType>("after")
            .Argument<RepositoryPrivacyType>("privacy")
            .Argument<BooleanGraphType>("isFork")
            .Argument<BooleanGraphType>("isArchived")
            .Argument<ListGraphType<RepositoryAffiliationType>>("ownerAffiliations")
            .Argument<ListGraphType<RepositoryAffiliationType>>("affiliations")
            .Argument<RepositoryOrderType>("orderBy")
            .ResolveAsync(async context => await RepositoryConnection.PageAsync(context));
    }
}

/// <summary>The RepositoryConnection gh pages through: nodes, totalCount, pageInfo{hasNextPage, endCursor}.</summary>
public sealed record RepositoryConnection(IReadOnlyList<Repository> Nodes, int TotalCount, bool HasNextPage, string? EndCursor, string? StartCursor, bool HasPreviousPage)
{
    public const int MaxPage = 100;

    public static async Task<RepositoryConnection?> PageAsync(IResolveFieldContext<User> context)
    {
        var first = context.GetArgument<int?>("first") ?? 30;
        if (first is < 1 or > MaxPage)
        {
            context.Errors.Add(context.Error($"Requesting {first} records on the `repositories` connection exceeds the `first` limit of {MaxPage} records.", "MAX_NODE_LIMIT_EXCEEDED"));
            return null;
        }
        var skip = 0;
        if (context.GetArgument<string?>("after") is { Length: > 0 } after && !TryReadCursor(after, out skip))
        {
            context.Errors.Add(context.Error($"`{after}` does not appear to be a valid cursor.", "INVALID_CURSOR_ARGUMENTS"));
            return null;
        }
        var owner = context.Source;
        var caller = context.Current().Caller;
        var affiliations = context.GetArgument<List<string>?>("ownerAffiliations") ?? context.GetArgument<List<string>?>("affiliations") ?? ["OWNER"];
        var owned = affiliations.Contains("OWNER");
        var shared = affiliations.Contains("COLLABORATOR");
        IQueryable<Repository> query = context.Service<LatchkeyDb>().Repositories.AsNoTracking()
            .Where(r => (owned && r.OwnerId == owner.Id) || (shared && r.OwnerId != owner.Id && r.Collaborators.Any(c => c.UserId == owner.Id)))
            .Where(AccessPolicy.ReadableBy(caller));
        query = context.GetArgument<string?>("privacy") switch
        {
            "PRIVATE" => query.Where(r => r.IsPrivate),
            "PUBLIC" => query.Where(r => !r.IsPrivate),
            _ => query,
        };
        // No forks and no archives here yet: asking for only those finds none.
        if (context.GetArgument<bool?>("isFork") == true || context.GetArgument<bool?>("isArchived") == true)
            query = query.Where(_ => false);
        var total = await query.CountAsync(context.CancellationToken);
        var order = context.GetArgument<Dictionary<string, object?>?>("orderBy");
        var descending = order?.GetValueOrDefault("direction") as string != "ASC";
        IOrderedQueryable<Repository> ordered = (order?.GetValueOrDefault("field") as string) switch
        {
            "NAME" => descending ? query.OrderByDescending(r => r.NormalizedName).ThenByDescending(r => r.Id) : query.OrderBy(r => r.NormalizedName).ThenBy(r => r.Id),
            "CREATED_AT" => descending ? query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id) : query.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id),
            _ => descending ? query.OrderByDescending(r => r.PushedAt ?? r.CreatedAt).ThenByDescending(r => r.Id) : query.OrderBy(r => r.PushedAt ?? r.CreatedAt).ThenBy(r => r.Id),
        };
        var nodes = await ordered.Skip(skip).Take(first).Include(r => r.Owner).Include(r => r.Collaborators).AsSplitQuery().ToListAsync(context.CancellationToken);
        context.Service<Tokens.TokenUsageRecorder>().RecordListed(caller, nodes);
        return new RepositoryConnection(nodes, total, skip + nodes.Count < total,
            nodes.Count > 0 ? Cursor(skip + nodes.Count) : null, nodes.Count > 0 ? Cursor(skip + 1) : null, skip > 0);
    }

    /// <summary>An opaque cursor: the position after which the next page starts.</summary>
    private static string Cursor(int position) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("cursor:v2:" + position.ToString(CultureInfo.InvariantCulture)));

    private static bool TryReadCursor(string cursor, out int position)
    {
        position = 0;
        try
        {
            var text = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            return text.StartsWith("cursor:v2:", StringComparison.Ordinal)
                && int.TryParse(text["cursor:v2:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out position) && position is >= 0 and < 10_000_000;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

public sealed class RepositoryConnectionType : ObjectGraphType<RepositoryConnection>
{
    public RepositoryConnectionType()
    {
        Name = "RepositoryConnection";
        Field<NonNullGraphType<ListGraphType<RepositoryType>>>("nodes").Resolve(context => context.Source.Nodes);
        Field<NonNullGraphType<IntGraphType>>("totalCount").Resolve(context => context.Source.TotalCount);
        Field<NonNullGraphType<PageInfoType>>("pageInfo").Resolve(context => context.Source);
    }
}

public sealed class PageInfoType : ObjectGraphType<RepositoryConnection>
{
    public PageInfoType()
    {
        Name = "PageInfo";
        Field<NonNullGraphType<BooleanGraphType>>("hasNextPage").Resolve(context => context.Source.HasNextPage);
        Field<NonNullGraphType<BooleanGraphType>>("hasPreviousPage").Resolve(context => context.Source.HasPreviousPage);
        Field<StringGraphType>("endCursor").Resolve(context => context.Source.EndCursor);
        Field<StringGraphType>("startCursor").Resolve(context => context.Source.StartCursor);
    }
}

public sealed class RepositoryType : ObjectGraphType<Repository>
{
    public RepositoryType()
    {
        Name = "Repository";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(context => NodeIds.For("Repository", context.Source.Id));
        Field<IntGraphType>("databaseId").Resolve(context => (int)context.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(context => context.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("nameWithOwner").Resolve(context => $"{context.Source.Owner!.UserName}/{context.Source.Name}");
        Field<NonNullGraphType<UserType>>("owner").Resolve(context => context.Source.Owner);
        Field<StringGraphType>("description").Resolve(context => context.Source.Description);
        Field<NonNullGraphType<StringGraphType>>("url").Resolve(context => $"{context.Urls().Web}/{context.Source.Owner!.UserName}/{context.Source.Name}");
        Field<NonNullGraphType<StringGraphType>>("sshUrl").Resolve(context => $"{context.Urls().Web}/{context.Source.Owner!.UserName}/{context.Source.Name}.git");
        Field<StringGraphType>("homepageUrl").Resolve(_ => null);
        Field<StringGraphType>("mirrorUrl").Resolve(_ => null);
        Field<NonNullGraphType<BooleanGraphType>>("isPrivate").Resolve(context => context.Source.IsPrivate);
        Field<NonNullGraphType<RepositoryVisibilityType>>("visibility").Resolve(context => context.Source.IsPrivate ? "PRIVATE" : "PUBLIC");
        foreach (var never in new[] { "isFork", "isArchived", "isTemplate", "isMirror", "isInOrganization", "isLocked", "isDisabled", "isSecurityPolicyEnabled", "viewerHasStarred" })
            Field<NonNullGraphType<BooleanGraphType>>(never).Resolve(_ => false);
        foreach (var always in new[] { "hasIssuesEnabled", "hasWikiEnabled", "hasProjectsEnabled", "hasDiscussionsEnabled", "mergeCommitAllowed", "squashMergeAllowed", "rebaseMergeAllowed" })
            Field<NonNullGraphType<BooleanGraphType>>(always).Resolve(_ => always is "mergeCommitAllowed" or "squashMergeAllowed" or "rebaseMergeAllowed");
        Field<NonNullGraphType<IntGraphType>>("stargazerCount").Resolve(_ => 0);
        Field<NonNullGraphType<IntGraphType>>("forkCount").Resolve(_ => 0);
        Field<NonNullGraphType<DateTimeGraphType>>("createdAt").Resolve(context => Resolve.Utc(context.Source.CreatedAt));
        Field<NonNullGraphType<DateTimeGraphType>>("updatedAt").Resolve(context => Resolve.Utc(context.Source.PushedAt ?? context.Source.CreatedAt));
        Field<DateTimeGraphType>("pushedAt").Resolve(context => context.Source.PushedAt is { } pushed ? Resolve.Utc(pushed) : null);
        Field<RepositoryType>("parent").Resolve(_ => null);
        Field<RepositoryType>("templateRepository").Resolve(_ => null);
        Field<NonNullGraphType<BooleanGraphType>>("isEmpty").ResolveAsync(async context =>
            await context.Service<RepositoryStore>().DefaultBranchAsync(context.Source, context.CancellationToken) is null);
        Field<RefType>("defaultBranchRef").ResolveAsync(async context =>
            await context.Service<RepositoryStore>().DefaultBranchAsync(context.Source, context.CancellationToken) is { } branch ? new GitRef(branch) : null);
        Field<RepositoryPermissionType>("viewerPermission").Resolve(context => Permission(context.Current().Caller, context.Source));
        Field<NonNullGraphType<BooleanGraphType>>("viewerCanAdminister").Resolve(context =>
            AccessPolicy.Decide(context.Current().Caller, RepoAction.Admin, context.Source).IsAllowed);
    }

    /// <summary>What the caller's credential and rights allow here, in GitHub's words.</summary>
    private static string? Permission(Caller caller, Repository repo) =>
        AccessPolicy.Decide(caller, RepoAction.Admin, repo).IsAllowed ? "ADMIN"
        : AccessPolicy.Decide(caller, RepoAction.Write, repo).IsAllowed ? "WRITE"
        : AccessPolicy.Decide(caller, RepoAction.Read, repo).IsAllowed ? "READ"
        : null;
}

public sealed record GitRef(string Name);

public sealed class RefType : ObjectGraphType<GitRef>
{
    public RefType()
    {
        Name = "Ref";
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(context => context.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("prefix").Resolve(_ => "refs/heads/");
    }
}

/// <summary>A GitHub enum whose values are their own names (PUBLIC, PRIVATE, …).</summary>
public abstract class GitHubEnumType : EnumerationGraphType
{
    protected GitHubEnumType(string name, params string[] values)
    {
        Name = name;
        foreach (var value in values)
            Add(value, value);
    }
}

public sealed class RepositoryVisibilityType() : GitHubEnumType("RepositoryVisibility", "PUBLIC", "PRIVATE", "INTERNAL");

public sealed class RepositoryPrivacyType() : GitHubEnumType("RepositoryPrivacy", "PUBLIC", "PRIVATE");

public sealed class RepositoryPermissionType() : GitHubEnumType("RepositoryPermission", "ADMIN", "MAINTAIN", "WRITE", "TRIAGE", "READ");

public sealed class RepositoryAffiliationType() : GitHubEnumType("RepositoryAffiliation", "OWNER", "COLLABORATOR", "ORGANIZATION_MEMBER");

public sealed class RepositoryOrderFieldType() : GitHubEnumType("RepositoryOrderField", "CREATED_AT", "UPDATED_AT", "PUSHED_AT", "NAME", "STARGAZERS");

public sealed class OrderDirectionType() : GitHubEnumType("OrderDirection", "ASC", "DESC");

public sealed class RepositoryOrderType : InputObjectGraphType
{
    public RepositoryOrderType()
    {
        Name = "RepositoryOrder";
        Field<NonNullGraphType<RepositoryOrderFieldType>>("field");
        Field<NonNullGraphType<OrderDirectionType>>("direction");
    }
}

public sealed class OrganizationType : ObjectGraphType<object>
{
    public OrganizationType()
    {
        Name = "Organization";
        Field<NonNullGraphType<StringGraphType>>("login").Resolve(_ => "");
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(_ => "");
    }
}

public sealed class OrganizationConnectionType : ObjectGraphType<object[]>
{
    public OrganizationConnectionType()
    {
        Name = "OrganizationConnection";
        Field<NonNullGraphType<ListGraphType<OrganizationType>>>("nodes").Resolve(context => context.Source);
        Field<NonNullGraphType<IntGraphType>>("totalCount").Resolve(context => context.Source.Length);
    }
}
