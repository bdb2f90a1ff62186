using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>
/// The least-privilege advisor's answers (issue #18): what a token exercised in the last 90 days
/// against what it holds. The token about itself, and site administrators about any token.
/// </summary>
public static class TokenUsageApi
{
    public sealed record ScopeUsage(
        [property: JsonPropertyName("used")] IReadOnlyList<string> Used,
        [property: JsonPropertyName("unused")] IReadOnlyList<string> Unused);

    public sealed record PermissionUsage(
        [property: JsonPropertyName("used")] IReadOnlyDictionary<string, string> Used,
        [property: JsonPropertyName("unused")] IReadOnlyDictionary<string, string> Unused);

    public sealed record RepositoryUsage(
        [property: JsonPropertyName("used")] IReadOnlyList<string> Used,
        [property: JsonPropertyName("unused")] IReadOnlyList<string> Unused);

    public sealed record UsageDto(
        [property: JsonPropertyName("window_days")] int WindowDays,
        [property: JsonPropertyName("scopes")] ScopeUsage Scopes,
        [property: JsonPropertyName("permissions")] PermissionUsage Permissions,
        [property: JsonPropertyName("repositories")] RepositoryUsage Repositories);

    public static RouteGroupBuilder MapTokenUsageApi(this RouteGroupBuilder api)
    {
        api.MapGet("/user/token/usage", async Task<Results<Ok<UsageDto>, ApiErrorResult>> (HttpContext context, CurrentCaller current, TokenIssuer tokens, TokenUsageReports usage) =>
        {
            var caller = current.Caller;
            var token = await tokens.FindAsync(caller.User!.Id, caller.TokenId!.Value, context.RequestAborted);
            if (token is null)
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Bad credentials");
            return TypedResults.Ok(ToDto(await usage.ForAsync(token, context.RequestAborted)));
        })
        .Requires(TokenCallerRequirement.Instance)
        .WithSummary("What the calling token used in the last 90 days against what it holds: scopes, permissions, repositories (Latchkey's own endpoint)");

        api.MapGet("/admin/personal-access-tokens/{id:long}/usage", async Task<Results<Ok<UsageDto>, ApiErrorResult>> (long id, HttpContext context, LatchkeyDb db, TokenUsageReports usage) =>
        {
            var token = await db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == id, context.RequestAborted);
            if (token is null)
                return ApiErrors.Result(StatusCodes.Status404NotFound, "Not Found");
            return TypedResults.Ok(ToDto(await usage.ForAsync(token, context.RequestAborted)));
        })
        .Requires(SiteAdminRequirement.Instance)
        .WithSummary("What one token used in the last 90 days against what it holds (site administrators)");
        return api;
    }

    public static UsageDto ToDto(TokenUsageReport report) => new(TokenUsageReports.WindowDays,
        new ScopeUsage(report.ScopesUsed, report.ScopesUnused),
        new PermissionUsage(report.PermissionsUsed, report.PermissionsUnused),
        new RepositoryUsage(report.RepositoriesUsed, report.RepositoriesUnused));
}
