using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>
/// The site's credential inventory (issue #18), for site administrators: every personal access
/// token of every account as the token object, filtered and paged in the database. Plain users get
/// 404, as for every admin endpoint.
/// </summary>
public static class TokenInventoryApi
{
    public static RouteGroupBuilder MapTokenInventoryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/admin/personal-access-tokens", ListAsync)
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("Every personal access token on the site (filters: owner, type, state, expires_before, unused_for_days, scope, permission, repository; paged)");
        api.MapPost("/admin/personal-access-tokens", RevokeAsync)
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("Revokes tokens in bulk ({\"action\":\"revoke\",\"pat_ids\":[…]}, GitHub's organization endpoint's body)");
        return api;
    }

    /// <summary>At most this many tokens per call.</summary>
    public const int MaxRevokeIds = 1000;

    public sealed record BulkAction(
        [property: JsonPropertyName("action")] string? Action,
        [property: JsonPropertyName("pat_ids")] long[]? PatIds);

    /// <summary>Accepted; what it did is in each owner's security log and mailbox.</summary>
    public sealed record BulkResult;

    private static async Task<Results<Accepted<BulkResult>, ApiErrorResult>> RevokeAsync(
        HttpContext context, CurrentCaller current, TokenIssuer issuer, TokenInventory inventory)
    {
        var (body, invalid) = await ApiJson.ReadAsync<BulkAction>(context);
        if (invalid is not null)
            return invalid;
        if (body!.Action != "revoke")
            return Invalid("action", "action must be revoke.");
        if (body.PatIds is not { Length: > 0 and <= MaxRevokeIds } ids)
            return Invalid("pat_ids", $"pat_ids must list from 1 to {MaxRevokeIds} token ids.");

        var revoked = await issuer.RevokeManyAsync(ids.Distinct().ToList(), current.User!, context.RequestAborted);
        await inventory.MailOwnersAsync(revoked, context.RequestAborted);
        return TypedResults.Accepted((string?)null, new BulkResult());
    }

    private static async Task<Results<Ok<List<TokenIntrospectionApi.TokenDto>>, ApiErrorResult>> ListAsync(
        HttpContext context, LatchkeyDb db, TokenLifetimePolicy lifetime, TimeProvider clock, TokenInventory inventory)
    {
        var (paging, pagingError) = Paging.From(context.Request);
        if (paging is null)
            return pagingError!;
        var now = clock.GetUtcNow().UtcDateTime;
        var (tokens, problem) = await inventory.FilterAsync(context.Request.Query, context.RequestAborted);
        if (tokens is null)
            return Invalid(problem!.Value.Field, problem.Value.Message);

        var total = await tokens.CountAsync(context.RequestAborted);
        var page = await tokens.OrderBy(t => t.Id).Skip(paging.Skip).Take(paging.PerPage)
            .Include(t => t.User).Include(t => t.Repositories)
            .AsSplitQuery()
            .ToListAsync(context.RequestAborted);
        var repositoryIds = page.SelectMany(t => t.Repositories).Select(r => r.RepositoryId).Distinct().ToList();
        var names = await db.Repositories.AsNoTracking().Where(r => repositoryIds.Contains(r.Id))
            .Select(r => new TokenIntrospectionApi.TokenRepositoryDto(r.Id, r.Owner!.UserName + "/" + r.Name, r.IsPrivate))
            .ToDictionaryAsync(r => r.Id, context.RequestAborted);
        paging.WriteLinks(context, total);
        return TypedResults.Ok(page.Select(t => TokenIntrospectionApi.ToDto(t, t.User!.UserName!, lifetime, now,
            t.Repositories.Where(r => names.ContainsKey(r.RepositoryId)).Select(r => names[r.RepositoryId]).OrderBy(r => r.Id).ToList())).ToList());
    }

    private static ApiErrorResult Invalid(string field, string message) =>
        ApiErrors.Validation(new ApiErrors.FieldError("PersonalAccessToken", field, "invalid", message));
}
