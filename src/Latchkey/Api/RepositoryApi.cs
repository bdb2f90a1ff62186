using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>Repositories: list (paged in the database), create, get, update, delete.</summary>
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

    /// <summary>GitHub's query parameters for repository lists; each is checked and answered with a 422 naming it.</summary>
    public sealed record ListQuery(
        [FromQuery(Name = "visibility")] string? Visibility,
        [FromQuery(Name = "type")] string? Type,
        [FromQuery(Name = "affiliation")] string? Affiliation,
        [FromQuery(Name = "sort")] string? Sort,
        [FromQuery(Name = "direction")] string? Direction);

    public static RouteGroupBuilder MapRepositoryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/user/repos", ListOwnAsync).Requires(SignedInRequirement.Instance);
        api.MapPost("/user/repos", CreateAsync).Requires(CreateRepositoryRequirement.Instance);
        api.MapGet("/users/{username}/repos", ListPublicAsync).Anonymous();
        api.MapGet("/repos/{owner}/{repo}", GetAsync).Requires(new RepositoryRequirement(RepoAction.Read));
        api.MapPatch("/repos/{owner}/{repo}", UpdateAsync).Requires(new RepositoryRequirement(RepoAction.Admin));
        api.MapDelete("/repos/{owner}/{repo}", DeleteAsync).Requires(new RepositoryRequirement(RepoAction.Delete));
        return api;
    }

    private static async Task<Results<Ok<List<RepositoryDto>>, ApiErrorResult>> ListOwnAsync(HttpContext context, [AsParameters] ListQuery query, CurrentCaller current, LatchkeyDb db)
    {
        var visibility = query.Visibility is { Length: > 0 } v ? v : "all";
        if (visibility is not ("all" or "public" or "private"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "visibility", "invalid", "visibility must be all, public or private."));
        var type = query.Type is { Length: > 0 } t ? t : "all";
        if (type is not ("all" or "owner" or "public" or "private" or "member"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "type", "invalid", "type must be all, owner, public, private or member."));
        var affiliation = (query.Affiliation is { Length: > 0 } a ? a : "owner,collaborator,organization_member")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (affiliation.Length == 0 || affiliation.Any(x => x is not ("owner" or "collaborator" or "organization_member")))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "affiliation", "invalid", "affiliation must list owner, collaborator or organization_member."));

        var id = current.User!.Id;
        var owned = affiliation.Contains("owner") && type is not "member";
        var shared = affiliation.Contains("collaborator") && type is "all" or "member" or "public" or "private";
        var mine = db.Repositories.Where(r => (owned && r.OwnerId == id) || (shared && r.OwnerId != id && r.Collaborators.Any(c => c.UserId == id)));
        if (visibility == "public" || type == "public")
            mine = mine.Where(r => !r.IsPrivate);
        if (visibility == "private" || type == "private")
            mine = mine.Where(r => r.IsPrivate);
        return await PageAsync(context, query, current.Caller, mine);
    }

    private static async Task<Results<Ok<List<RepositoryDto>>, ApiErrorResult>> ListPublicAsync(HttpContext context, string username, [AsParameters] ListQuery query, CurrentCaller current, LatchkeyDb db)
    {
        var normalized = UsernameRules.Normalize(username);
        if (!await db.Users.AnyAsync(u => u.NormalizedUserName == normalized, context.RequestAborted))
            return ApiErrors.NotFound();
        return await PageAsync(context, query, current.Caller, db.Repositories.Where(r => r.Owner!.NormalizedUserName == normalized && !r.IsPrivate));
    }

    /// <summary>
    /// One page of repositories the caller may read, sorted as asked (GitHub's sort and direction),
    /// with Link headers. The access rule, the order and the page are all in the database query: a
    /// page costs two queries (count and rows) however many repositories there are.
    /// </summary>
    private static async Task<Results<Ok<List<RepositoryDto>>, ApiErrorResult>> PageAsync(HttpContext context, ListQuery query, Caller caller, IQueryable<Repository> candidates)
    {
        var (paging, error) = Paging.From(context.Request);
        if (error is not null)
            return error;
        var sort = query.Sort is { Length: > 0 } s ? s : "full_name";
        if (sort is not ("created" or "updated" or "pushed" or "full_name"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "sort", "invalid", "sort must be created, updated, pushed or full_name."));
        var direction = query.Direction is { Length: > 0 } d ? d : sort == "full_name" ? "asc" : "desc";
        if (direction is not ("asc" or "desc"))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "direction", "invalid", "direction must be asc or desc."));

        var readable = candidates.AsNoTracking().Where(AccessPolicy.ReadableBy(caller));
        var total = await readable.CountAsync(context.RequestAborted);
        var ascending = direction == "asc";
        // REVIEW: full_name order is the database's collation; the embedded SQLite and a C-locale PostgreSQL compare bytes, as GitHub does.
        IOrderedQueryable<Repository> ordered = sort switch
        {
            "created" => ascending ? readable.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id) : readable.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id),
            "updated" or "pushed" => ascending
                ? readable.OrderBy(r => r.PushedAt ?? r.CreatedAt).ThenBy(r => r.Id)
                : readable.OrderByDescending(r => r.PushedAt ?? r.CreatedAt).ThenByDescending(r => r.Id),
            _ => ascending
                ? readable.OrderBy(r => r.Owner!.NormalizedUserName).ThenBy(r => r.NormalizedName)
                : readable.OrderByDescending(r => r.Owner!.NormalizedUserName).ThenByDescending(r => r.NormalizedName),
        };
        var page = await ordered.Skip(paging!.Skip).Take(paging.PerPage)
            .Include(r => r.Owner).Include(r => r.Collaborators)
            .AsSplitQuery()
            .ToListAsync(context.RequestAborted);
        paging.WriteLinks(context, total);
        context.RequestServices.GetRequiredService<Tokens.TokenUsageRecorder>().RecordListed(caller, page);
        var urls = ApiUrls.Of(context.Request);
        return TypedResults.Ok(page.Select(r => RepositoryDto.From(r, caller, urls)).ToList());
    }

    private static async Task<Results<Created<RepositoryDto>, ApiErrorResult>> CreateAsync(HttpContext context, CurrentCaller current, Authorizer authorizer, RepositoryService repositories)
    {
        var (body, invalid) = await ApiJson.ReadAsync<CreateRepository>(context);
        if (invalid is not null)
            return invalid;
        if (string.IsNullOrWhiteSpace(body!.Name))
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "name", "missing_field"));
        var isPrivate = body.Private ?? false;
        // The gate let through what any visibility allows; the body says which one is asked for.
        if (await ApiGate.RefuseUnlessAsync(authorizer, CreateRepositoryRequirement.Instance, isPrivate) is { } refused)
            return refused;
        var result = await repositories.CreateAsync(current.User!, body.Name, body.Description, isPrivate, body.AutoInit ?? false, context.RequestAborted);
        if (result.Repository is not { } repo)
        {
            // GitHub's own wording, which clients (Octokit) recognise.
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "name", "custom",
                result.NameTaken ? "name already exists on this account" : result.Error));
        }
        var dto = RepositoryDto.From(repo, current.Caller, ApiUrls.Of(context.Request));
        return TypedResults.Created(dto.Url, dto);
    }

    private static async Task<Ok<RepositoryDto>> GetAsync(HttpContext context, CurrentCaller current, RepositoryStore store)
    {
        var repo = current.Repository!;
        var branch = await store.DefaultBranchAsync(repo, context.RequestAborted);
        return TypedResults.Ok(RepositoryDto.From(repo, current.Caller, ApiUrls.Of(context.Request), branch));
    }

    private static async Task<Results<Ok<RepositoryDto>, ApiErrorResult>> UpdateAsync(HttpContext context, CurrentCaller current, Authorizer authorizer, RepositoryService repositories)
    {
        var repo = current.Repository!;
        var (body, invalid) = await ApiJson.ReadAsync<UpdateRepository>(context);
        if (invalid is not null)
            return invalid;
        if (body!.Private is { } makePrivate && makePrivate != repo.IsPrivate
            && await ApiGate.RefuseUnlessAsync(authorizer, VisibilityChangeRequirement.Instance, repo) is { } refused)
            return refused;
        var error = await repositories.UpdateAsync(repo, body.Name, body.Description, body.Private, context.RequestAborted);
        if (error is not null)
            return ApiErrors.Validation(new ApiErrors.FieldError("Repository", "name", "custom", error));
        return TypedResults.Ok(RepositoryDto.From(repo, current.Caller, ApiUrls.Of(context.Request)));
    }

    private static async Task<NoContent> DeleteAsync(HttpContext context, CurrentCaller current, RepositoryService repositories)
    {
        await repositories.DeleteAsync(current.Repository!, context.RequestAborted);
        return TypedResults.NoContent();
    }
}
