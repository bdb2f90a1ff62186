using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

public static class ApiSetup
{
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<ApiRateOptions>(builder.Configuration.GetSection("Api"));
        builder.Services.AddScoped<ApiRateLimits>();
        builder.Services.AddScoped<ApiGate>();
        // An OpenAPI document of what /api/v3 serves, generated from the endpoints themselves.
        builder.Services.AddOpenApi("v3", options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v3", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new() { Title = "Latchkey REST API (GitHub-compatible)", Version = "v3" };
                return Task.CompletedTask;
            });
        });
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never);
        return builder;
    }

    /// <summary>/api/v3: GitHub's paths, JSON and status codes, so GitHub clients work pointed at this server.</summary>
    public static WebApplication MapApi(this WebApplication app)
    {
        app.MapOpenApi("/api/{documentName}/openapi.json");
        var root = app.MapGroup("/api/v3").DisableAntiforgery();
        root.MapCredentialRevocation();
        var api = root.MapGroup("").AddEndpointFilter<ApiGate>();
        api.MapRootApi();
        api.MapUserApi();
        api.MapRepositoryApi();
        api.MapContentsApi();
        api.MapCollaboratorApi();
        api.MapAdminApi();
        api.MapUserSelfApi();
        api.MapTokenIntrospectionApi();
        api.MapBranchApi();
        // Anything else under /api/v3 is a JSON 404, never a web page.
        root.MapFallback(() => ApiErrors.NotFound());
        return app;
    }
}

public static class RootApi
{
    public static RouteGroupBuilder MapRootApi(this RouteGroupBuilder api)
    {
        api.MapGet("/", (HttpRequest request) =>
        {
            var urls = ApiUrls.Of(request);
            return Results.Json(new Dictionary<string, string>
            {
                ["current_user_url"] = $"{urls.Api}/user",
                ["user_url"] = $"{urls.Api}/users/{{user}}",
                ["user_repositories_url"] = $"{urls.Api}/users/{{user}}/repos",
                ["repository_url"] = $"{urls.Api}/repos/{{owner}}/{{repo}}",
                ["rate_limit_url"] = $"{urls.Api}/rate_limit",
            });
        });
        api.MapGet("/meta", () => Results.Json(new Dictionary<string, object>
        {
            ["verifiable_password_authentication"] = false,
            ["installed_version"] = typeof(RootApi).Assembly.GetName().Version?.ToString() ?? "0",
        }));
        api.MapGet("/rate_limit", async (HttpContext context, ApiRateLimits limits) =>
        {
            var window = await limits.PeekAsync(ApiGate.CallerOf(context), context.Connection.RemoteIpAddress?.ToString());
            var core = new Dictionary<string, object>
            {
                ["limit"] = window.Limit,
                ["remaining"] = window.Remaining,
                ["reset"] = window.Reset.ToUnixTimeSeconds(),
                ["used"] = Math.Min(window.Used, window.Limit),
                ["resource"] = "core",
            };
            return Results.Json(new Dictionary<string, object> { ["resources"] = new Dictionary<string, object> { ["core"] = core }, ["rate"] = core });
        }).WithMetadata(new NotRateLimited());
        return api;
    }
}

public static class UserApi
{
    public static RouteGroupBuilder MapUserApi(this RouteGroupBuilder api)
    {
        // GET /user counts the caller's public repositories on every call, through the hot reads.
        api.MapGet("/user", async (HttpContext context, IHotReads hot) =>
        {
            var caller = ApiGate.CallerOf(context);
            if (ApiGate.RequireUser(caller) is { } refusal)
                return refusal;
            var user = caller.User!;
            var publicRepos = await hot.PublicRepositoryCountAsync(user.Id, context.RequestAborted);
            return Results.Json(UserDto.From(user, caller, publicRepos, ApiUrls.Of(context.Request)));
        });
        api.MapGet("/users/{username}", async (HttpContext context, string username, LatchkeyDb db, IHotReads hot) =>
        {
            var normalized = UsernameRules.Normalize(username);
            var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, context.RequestAborted);
            if (user is null)
                return ApiErrors.NotFound();
            var publicRepos = await hot.PublicRepositoryCountAsync(user.Id, context.RequestAborted);
            return Results.Json(UserDto.From(user, ApiGate.CallerOf(context), publicRepos, ApiUrls.Of(context.Request)));
        });
        return api;
    }
}

public static class RepositoryApi
{
    public sealed record CreateRepository(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("private")] bool? Private,
        [property: JsonPropertyName("auto_init")] bool? AutoInit);

    public sealed record UpdateRepository(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("private")] bool? Private);

    public static RouteGroupBuilder MapRepositoryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/user/repos", ListOwnAsync);
        api.MapPost("/user/repos", CreateAsync).WithMetadata(new AcceptedScopes(Scopes.PublicRepo, Scopes.Repo), new AcceptedPermissions("administration=write"));
        api.MapGet("/users/{username}/repos", ListPublicAsync);
        api.MapGet("/repos/{owner}/{repo}", GetAsync).WithMetadata(new AcceptedScopes(Scopes.Repo), new AcceptedPermissions("metadata=read"));
        api.MapPatch("/repos/{owner}/{repo}", UpdateAsync).WithMetadata(new AcceptedScopes(Scopes.PublicRepo, Scopes.Repo), new AcceptedPermissions("administration=write"));
        api.MapDelete("/repos/{owner}/{repo}", DeleteAsync).WithMetadata(new AcceptedScopes(Scopes.DeleteRepo), new AcceptedPermissions("administration=write"));
        return api;
    }

    private static async Task<IResult> ListOwnAsync(HttpContext context, LatchkeyDb db)
    {
        var caller = ApiGate.CallerOf(context);
        if (ApiGate.RequireUser(caller) is { } refusal)
            return refusal;
        var query = context.Request.Query;
        var visibility = query["visibility"].ToString() is { Length: > 0 } v ? v : "all";
        if (visibility is not ("all" or "public" or "private"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "visibility", "invalid", "visibility must be all, public or private."));
        var type = query["type"].ToString() is { Length: > 0 } t ? t : "all";
        if (type is not ("all" or "owner" or "public" or "private" or "member"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "type", "invalid", "type must be all, owner, public, private or member."));
        var affiliation = (query["affiliation"].ToString() is { Length: > 0 } a ? a : "owner,collaborator,organization_member")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (affiliation.Length == 0 || affiliation.Any(x => x is not ("owner" or "collaborator" or "organization_member")))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "affiliation", "invalid", "affiliation must list owner, collaborator or organization_member."));

        var id = caller.User!.Id;
        var owned = affiliation.Contains("owner") && type is not "member";
        var shared = affiliation.Contains("collaborator") && type is "all" or "member" or "public" or "private";
        var mine = db.Repositories.AsNoTracking().Include(r => r.Owner).Include(r => r.Collaborators)
            .Where(r => (owned && r.OwnerId == id) || (shared && r.OwnerId != id && r.Collaborators.Any(c => c.UserId == id)));
        if (visibility == "public" || type == "public")
            mine = mine.Where(r => !r.IsPrivate);
        if (visibility == "private" || type == "private")
            mine = mine.Where(r => r.IsPrivate);
        return await PageAsync(context, caller, mine);
    }

    private static async Task<IResult> ListPublicAsync(HttpContext context, string username, LatchkeyDb db)
    {
        var normalized = UsernameRules.Normalize(username);
        if (!await db.Users.AnyAsync(u => u.NormalizedUserName == normalized, context.RequestAborted))
            return ApiErrors.NotFound();
        var caller = ApiGate.CallerOf(context);
        return await PageAsync(context, caller, db.Repositories.AsNoTracking().Include(r => r.Owner).Include(r => r.Collaborators)
            .Where(r => r.Owner!.NormalizedUserName == normalized && !r.IsPrivate));
    }

    /// <summary>One page of repositories the caller may read, sorted as asked (GitHub's sort and direction), with Link headers.</summary>
    private static async Task<IResult> PageAsync(HttpContext context, Caller caller, IQueryable<Repository> query)
    {
        var (paging, error) = Paging.From(context.Request);
        if (error is not null)
            return error;
        var sort = context.Request.Query["sort"].ToString() is { Length: > 0 } s ? s : "full_name";
        if (sort is not ("created" or "updated" or "pushed" or "full_name"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "sort", "invalid", "sort must be created, updated, pushed or full_name."));
        var direction = context.Request.Query["direction"].ToString() is { Length: > 0 } d ? d : sort == "full_name" ? "asc" : "desc";
        if (direction is not ("asc" or "desc"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "direction", "invalid", "direction must be asc or desc."));

        var all = (await query.ToListAsync(context.RequestAborted))
            .Where(r => AccessPolicy.Decide(caller, RepoAction.Read, r).IsAllowed)
            .ToList();
        Func<Repository, string> key = sort switch
        {
            "created" => r => r.CreatedAt.Ticks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + r.Id.ToString("D20", System.Globalization.CultureInfo.InvariantCulture),
            "updated" or "pushed" => r => (r.PushedAt ?? r.CreatedAt).Ticks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + r.Id.ToString("D20", System.Globalization.CultureInfo.InvariantCulture),
            _ => r => $"{r.Owner!.NormalizedUserName}/{r.NormalizedName}",
        };
        var sorted = (direction == "asc" ? all.OrderBy(key, StringComparer.Ordinal) : all.OrderByDescending(key, StringComparer.Ordinal)).ToList();
        paging!.WriteLinks(context, sorted.Count);
        var urls = ApiUrls.Of(context.Request);
        return Results.Json(sorted.Skip(paging.Skip).Take(paging.PerPage).Select(r => RepositoryDto.From(r, caller, urls)).ToList());
    }

    private static async Task<IResult> CreateAsync(HttpContext context, RepositoryService repositories, Microsoft.AspNetCore.Identity.UserManager<User> users)
    {
        var caller = ApiGate.CallerOf(context);
        if (ApiGate.RequireUser(caller) is { } refusal)
            return refusal;
        var (body, invalid) = await ReadAsync<CreateRepository>(context);
        if (invalid is not null)
            return invalid;
        if (string.IsNullOrWhiteSpace(body!.Name))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "name", "missing_field"));
        var isPrivate = body.Private ?? false;
        var decision = AccessPolicy.DecideCreate(caller, isPrivate);
        if (!decision.IsAllowed)
            return MissingScope(decision);
        var result = await repositories.CreateAsync(caller.User!, body.Name, body.Description, isPrivate, body.AutoInit ?? false, context.RequestAborted);
        if (result.Repository is not { } repo)
        {
            // GitHub's own wording, which clients (Octokit) recognise.
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "name", "custom",
                result.NameTaken ? "name already exists on this account" : result.Error));
        }
        var dto = RepositoryDto.From(repo, caller, ApiUrls.Of(context.Request));
        return Results.Json(dto, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string owner, string repo, RepositoryService repositories, RepositoryStore store)
    {
        var (found, refusal) = await FindAsync(context, owner, repo, RepoAction.Read, repositories);
        if (refusal is not null)
            return refusal;
        var branch = await store.DefaultBranchAsync(found!, context.RequestAborted);
        return Results.Json(RepositoryDto.From(found!, ApiGate.CallerOf(context), ApiUrls.Of(context.Request), branch));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, string owner, string repo, RepositoryService repositories)
    {
        var (found, refusal) = await FindAsync(context, owner, repo, RepoAction.Admin, repositories);
        if (refusal is not null)
            return refusal;
        var (body, invalid) = await ReadAsync<UpdateRepository>(context);
        if (invalid is not null)
            return invalid;
        var caller = ApiGate.CallerOf(context);
        // Making a public repository private (or back) needs the full repo scope; a fine-grained token
        // needs only what it already showed to get here, Administration write on this repository (as on GitHub).
        if (body!.Private is { } makePrivate && makePrivate != found!.IsPrivate && caller.Credential != CredentialKind.FineGrainedToken
            && !AccessPolicy.DecideCreate(caller, isPrivate: true).IsAllowed)
            return MissingScope(new Decision(DecisionKind.Forbidden, Scopes.Repo));
        var error = await repositories.UpdateAsync(found!, body.Name, body.Description, body.Private, context.RequestAborted);
        if (error is not null)
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "name", "custom", error));
        return Results.Json(RepositoryDto.From(found!, caller, ApiUrls.Of(context.Request)));
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string owner, string repo, RepositoryService repositories)
    {
        var (found, refusal) = await FindAsync(context, owner, repo, RepoAction.Delete, repositories);
        if (refusal is not null)
            return refusal;
        await repositories.DeleteAsync(found!, context.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>The repository when the policy allows the action; 404 when the caller may not see it, 403 naming what is missing.</summary>
    public static async Task<(Repository? Repo, IResult? Refusal)> FindAsync(HttpContext context, string owner, string name, RepoAction action, RepositoryService repositories)
    {
        var caller = ApiGate.CallerOf(context);
        var repo = await repositories.FindAsync(owner, name, context.RequestAborted);
        if (repo is null || name.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
            return (null, ApiErrors.NotFound());
        var decision = AccessPolicy.Decide(caller, action, repo);
        return decision.Kind switch
        {
            DecisionKind.Allow => (repo, null),
            DecisionKind.Challenge when action is not (RepoAction.Read or RepoAction.ReadContents) => (null, ApiErrors.Result(StatusCodes.Status401Unauthorized, "Requires authentication")),
            DecisionKind.Forbidden => (null, MissingScope(decision, action)),
            _ => (null, ApiErrors.NotFound()),
        };
    }

    private static IResult MissingScope(Decision decision, RepoAction action = RepoAction.Write) => decision.MissingScope is { } scope
        ? ApiErrors.Result(StatusCodes.Status403Forbidden, $"This request needs the {scope} scope; the token does not have it.")
        : decision.MissingPermission is not null
        ? ApiErrors.Result(StatusCodes.Status403Forbidden, "Resource not accessible by personal access token")
        : ApiErrors.Result(StatusCodes.Status403Forbidden, action is RepoAction.Delete or RepoAction.Admin ? "Must have admin rights to Repository." : "Resource not accessible by personal access token");

    /// <summary>Reads a JSON body: 400 "Problems parsing JSON" when it cannot be read.</summary>
    private static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpContext context) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, cancellationToken: context.RequestAborted);
            return body is null ? (null, ApiErrors.Result(StatusCodes.Status400BadRequest, "Problems parsing JSON")) : (body, null);
        }
        catch (JsonException)
        {
            return (null, ApiErrors.Result(StatusCodes.Status400BadRequest, "Problems parsing JSON"));
        }
    }
}
