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
            .WithSummary("Every personal access token on the site (filters: owner, type, state; paged)");
        return api;
    }

    private static async Task<Results<Ok<List<TokenIntrospectionApi.TokenDto>>, ApiErrorResult>> ListAsync(
        HttpContext context, LatchkeyDb db, TokenLifetimePolicy lifetime, TimeProvider clock)
    {
        var (paging, pagingError) = Paging.From(context.Request);
        if (paging is null)
            return pagingError!;
        var query = context.Request.Query;
        var now = clock.GetUtcNow().UtcDateTime;
        var tokens = db.Tokens.AsNoTracking();

        if (query["owner"].ToString() is { Length: > 0 } owner)
        {
            var normalized = owner.ToUpperInvariant();
            tokens = tokens.Where(t => t.User!.NormalizedUserName == normalized);
        }
        switch (query["type"].ToString())
        {
            case "":
                break;
            case "classic":
                tokens = tokens.Where(t => t.Kind == TokenKind.Classic);
                break;
            case "fine_grained":
                tokens = tokens.Where(t => t.Kind == TokenKind.FineGrained);
                break;
            default:
                return Invalid("type", "type must be classic or fine_grained.");
        }
        // Expired at its own expiry, or at the site's lifetime limit counted from its creation
        // (TokenLifetimePolicy.EffectiveExpiry, in the query). Revoked tokens are deleted at once.
        DateTime? bornBefore = lifetime.MaxLifetimeDays is { } days ? now.AddDays(-days) : null;
        switch (query["state"].ToString())
        {
            case "":
                break;
            case "active":
                tokens = tokens.Where(t => t.ExpiresAt == null || t.ExpiresAt > now);
                if (bornBefore is { } activeSince)
                    tokens = tokens.Where(t => t.CreatedAt > activeSince);
                break;
            case "expired":
                tokens = bornBefore is { } expiredSince
                    ? tokens.Where(t => (t.ExpiresAt != null && t.ExpiresAt <= now) || t.CreatedAt <= expiredSince)
                    : tokens.Where(t => t.ExpiresAt != null && t.ExpiresAt <= now);
                break;
            case "revoked":
                tokens = tokens.Where(_ => false);
                break;
            default:
                return Invalid("state", "state must be active, expired or revoked.");
        }

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
