using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Latchkey.Tokens;

namespace Latchkey.Api;

/// <summary>
/// POST /api/v3/credentials/revoke, as on GitHub: anyone who finds a leaked token (a person, a
/// secret scanner) can report it without credentials; every live Latchkey token in the list dies.
/// The answer is 202 whatever was found, so it is no oracle; an authenticated call is refused, and
/// each address may report 60 times an hour.
/// </summary>
public static class CredentialRevocation
{
    public const int MaxCredentials = 1000;
    public const string RateLimitPolicy = "credentials-revoke";

    public sealed record RevokeRequest([property: JsonPropertyName("credentials")] List<string?>? Credentials);

    public static IServiceCollection AddCredentialRevocation(this IServiceCollection services)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 60, Window = TimeSpan.FromHours(1), QueueLimit = 0 }));
            options.OnRejected = async (context, ct) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait))
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ApiErrors.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "API rate limit exceeded for credential revocation. Try again later.", ct);
            };
        });
        return services;
    }

    public static IEndpointRouteBuilder MapCredentialRevocation(this IEndpointRouteBuilder api)
    {
        // Outside the authenticated group: this endpoint must be called without credentials.
        api.MapPost("/credentials/revoke", RevokeAsync).DisableAntiforgery().RequireRateLimiting(RateLimitPolicy);
        return api;
    }

    private static async Task RevokeAsync(HttpContext context, TokenService tokens)
    {
        var ct = context.RequestAborted;
        if (context.Request.Headers.Authorization.Count > 0)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "This endpoint must be called without authentication.", ct);
            return;
        }
        RevokeRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<RevokeRequest>(context.Request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "Problems parsing JSON", ct);
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
            if (await tokens.FindLiveAsync(credential!.Trim(), ct) is { } token)
                await tokens.RevokeLeakedAsync(token, "reported as leaked through the credential revocation API", ct);
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
