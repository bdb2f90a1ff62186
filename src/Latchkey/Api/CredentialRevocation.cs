using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Tokens;

namespace Latchkey.Api;

/// <summary>
/// POST /api/v3/credentials/revoke, as on GitHub: anyone who finds a leaked token (a person, a
/// secret scanner) can report it without credentials; every live Latchkey token in the list dies.
/// The answer is 202 whatever was found, so it is no oracle; an authenticated call is refused, and
/// each address may report 60 times an hour (Api:RevocationReportLimit), counted in
/// <see cref="ICounters"/>: on PostgreSQL the nodes share the count.
/// </summary>
public static class CredentialRevocation
{
    public const int MaxCredentials = 1000;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public sealed record RevokeRequest([property: JsonPropertyName("credentials")] List<string?>? Credentials);

    public static IEndpointRouteBuilder MapCredentialRevocation(this IEndpointRouteBuilder api)
    {
        // Outside the authenticated group: this endpoint must be called without credentials.
        api.MapPost("/credentials/revoke", RevokeAsync).DisableAntiforgery().Anonymous();
        return api;
    }

    private static async Task RevokeAsync(HttpContext context, LeakedTokens tokens, ICounters counters, TimeProvider clock,
        Microsoft.Extensions.Options.IOptions<ApiRateOptions> options)
    {
        var ct = context.RequestAborted;
        // Every call counts, refused ones too; a client hanging up does not skip the count.
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var (start, used) = await counters.AddAsync("revoke:" + address, 1, Hour, CancellationToken.None);
        if (used > options.Value.RevocationReportLimit)
        {
            var wait = start + Hour - clock.GetUtcNow();
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ApiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, "API rate limit exceeded for credential revocation. Try again later.", ct);
            return;
        }
        if (context.Request.Headers.Authorization.Count > 0)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "This endpoint must be called without authentication.", ct);
            return;
        }
        var (body, invalid) = await ApiJson.ReadAsync<RevokeRequest>(context);
        if (invalid is not null)
        {
            await invalid.ExecuteAsync(context);
            return;
        }
        if (body?.Credentials is not { Count: > 0 } credentials)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, "Invalid request: \"credentials\" must be a non-empty array of strings.", ct);
            return;
        }
        if (credentials.Count > MaxCredentials || credentials.Any(c => c is null || c.Length > 1000))
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, $"Invalid request: at most {MaxCredentials} credentials, each a string of at most 1000 characters.", ct);
            return;
        }

        foreach (var credential in credentials.Distinct(StringComparer.Ordinal))
        {
            if (await tokens.FindLiveAsync(credential!.Trim(), "a leak report to POST /api/v3/credentials/revoke", ct) is { } token)
                await tokens.RevokeAsync(token, "reported as leaked through the credential revocation API", ct);
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
