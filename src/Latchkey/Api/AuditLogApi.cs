using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>
/// GET /admin/audit-log?phrase=…: the site-wide security log for administrators, in the shape of
/// GitHub's audit-log entries (times in milliseconds since the epoch), searched with its phrase
/// qualifiers (<see cref="AuditLogSearch"/>) and paged with the Link header. Never a secret: a token
/// appears by id, last eight characters and <c>hashed_token</c>.
/// </summary>
public static class AuditLogApi
{
    public sealed record AuditEntryDto(
        [property: JsonPropertyName("@timestamp")] long Timestamp,
        [property: JsonPropertyName("_document_id")] string DocumentId,
        [property: JsonPropertyName("action")] string Action,
        [property: JsonPropertyName("actor")] string? Actor,
        [property: JsonPropertyName("user")] string? User,
        [property: JsonPropertyName("actor_ip")] string? ActorIp,
        [property: JsonPropertyName("user_agent")] string? UserAgent,
        [property: JsonPropertyName("hashed_token")] string? HashedToken,
        [property: JsonPropertyName("token_id")] long? TokenId,
        [property: JsonPropertyName("token_last_eight")] string? TokenLastEight,
        [property: JsonPropertyName("succeeded")] bool Succeeded,
        [property: JsonPropertyName("detail")] string? Detail,
        [property: JsonPropertyName("created_at")] long CreatedAt);

    public static RouteGroupBuilder MapAuditLogApi(this RouteGroupBuilder api)
    {
        api.MapGet("/admin/audit-log", ListAsync)
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("The site-wide security log, newest first (phrase: hashed_token:, actor:, user:, action:, created:; paged)");
        return api;
    }

    private static async Task<Results<Ok<List<AuditEntryDto>>, ApiErrorResult>> ListAsync(HttpContext context, AuditLogSearch search)
    {
        var (paging, pagingError) = Paging.From(context.Request);
        if (paging is null)
            return pagingError!;
        var (entries, error) = search.Search(context.Request.Query["phrase"].ToString());
        if (entries is null)
            return ApiErrors.Validation(new ApiErrors.FieldError("AuditLog", "phrase", "invalid", error));
        // One more than the page tells whether there is a next one, without counting the whole log.
        var rows = await entries.Skip(paging.Skip).Take(paging.PerPage + 1).ToListAsync(context.RequestAborted);
        paging.WriteLinks(context, paging.Skip + rows.Count);
        return TypedResults.Ok(rows.Take(paging.PerPage).Select(ToDto).ToList());
    }

    public static AuditEntryDto ToDto(AuditEntry entry)
    {
        var e = entry.Event;
        var at = new DateTimeOffset(DateTime.SpecifyKind(e.CreatedAt, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        return new AuditEntryDto(at, e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Action, e.ActorName ?? entry.User, entry.User,
            e.IpAddress, e.UserAgent, e.TokenHash, e.TokenId, e.TokenLastEight, e.Succeeded, e.Detail, at);
    }
}
