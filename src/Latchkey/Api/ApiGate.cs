using System.Globalization;
using Latchkey.Authorization;
using Latchkey.Tokens;

namespace Latchkey.Api;

/// <summary>Endpoint metadata: the scopes an endpoint checks for (X-Accepted-OAuth-Scopes).</summary>
public sealed record AcceptedScopes(params string[] Scopes);

/// <summary>
/// Endpoint metadata: the fine-grained permission an endpoint checks for, as GitHub writes it in
/// X-Accepted-GitHub-Permissions ("contents=read"). Endpoints without it need none.
/// </summary>
public sealed record AcceptedPermissions(params string[] Permissions);

/// <summary>Endpoint metadata: calls that do not count against the rate limit (GET /rate_limit).</summary>
public sealed record NotRateLimited;

/// <summary>API rate limits (section "Api"): per user for token calls, per address for anonymous ones and for leak reports.</summary>
public sealed class ApiRateOptions
{
    public int UserLimit { get; set; } = 5000;
    public int AnonymousLimit { get; set; } = 60;

    /// <summary>Leak reports (POST /credentials/revoke) an hour per address.</summary>
    public int RevocationReportLimit { get; set; } = 60;
}

public sealed record RateWindow(string Key, int Limit, int Used, DateTimeOffset Reset)
{
    public int Remaining => Math.Max(0, Limit - Used);
}

/// <summary>Hourly request counts in <see cref="ICounters"/> (shared by all nodes on PostgreSQL).</summary>
public sealed class ApiRateLimits(ICounters counters, Microsoft.Extensions.Options.IOptions<ApiRateOptions> options)
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public ValueTask<RateWindow> PeekAsync(Caller caller, string? address) => WindowAsync(caller, address, 0);

    public ValueTask<RateWindow> CountAsync(Caller caller, string? address) => WindowAsync(caller, address, 1);

    /// <summary>Gives back one counted call (a 304 costs nothing, as on GitHub) and returns the window after it.</summary>
    public ValueTask<RateWindow> RefundAsync(Caller caller, string? address) => WindowAsync(caller, address, -1);

    private async ValueTask<RateWindow> WindowAsync(Caller caller, string? address, int amount)
    {
        var (key, limit) = caller.User is { } user ? ($"user:{user.Id}", options.Value.UserLimit) : ($"ip:{address}", options.Value.AnonymousLimit);
        // Counts must not be skipped by a client hanging up, so no request cancellation here.
        var (start, used) = await counters.AddAsync(key, amount, Hour, CancellationToken.None);
        return new RateWindow(key, limit, used, start + Hour);
    }
}

/// <summary>
/// Every /api/v3 call passes here: the shared credential reader (tokens, throttle, security log),
/// then the rate limit, then GitHub's headers. The caller is left in HttpContext.Items for handlers.
/// </summary>
public sealed class ApiGate(CredentialReader credentials, ApiRateLimits limits, TokenLifetimePolicy lifetime,
    Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IEndpointFilter
{
    private const string CallerItem = "latchkey:api-caller";
    private const string JsonContentType = "application/json; charset=utf-8";

    public static Caller CallerOf(HttpContext context) => context.Items[CallerItem] as Caller ?? Caller.Anonymous;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var headers = http.Response.Headers;
        var endpoint = http.GetEndpoint();
        headers["X-GitHub-Media-Type"] = "github.v3; format=json";

        var result = await credentials.ReadAsync(http);
        switch (result.Outcome)
        {
            case CredentialOutcome.Throttled:
                headers.RetryAfter = CredentialThrottle.Seconds(result.RetryAfter!.Value).ToString(CultureInfo.InvariantCulture);
                return ApiErrors.Result(StatusCodes.Status429TooManyRequests, result.Message!);
            case CredentialOutcome.PasswordNotSupported:
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Password authentication is not supported for the API. Use a personal access token.");
            case CredentialOutcome.Malformed:
                return ApiErrors.Result(StatusCodes.Status400BadRequest, result.Message!);
            case CredentialOutcome.BadToken:
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Bad credentials");
        }

        var caller = result.Caller;
        http.Items[CallerItem] = caller;
        // As GitHub: what an authenticated caller sees is private to them, and varies with who asks.
        headers.CacheControl = caller.IsAuthenticated ? "private, max-age=60, s-maxage=60" : "public, max-age=60, s-maxage=60";
        headers.Vary = "Accept, Authorization, Cookie";
        if (caller.Credential == CredentialKind.FineGrainedToken)
        {
            // As GitHub: fine-grained tokens hear which permission the endpoint wants, not scopes.
            if (endpoint?.Metadata.GetMetadata<AcceptedPermissions>() is { } accepted)
                headers["X-Accepted-GitHub-Permissions"] = string.Join(",", accepted.Permissions);
        }
        else if (caller.IsAuthenticated)
        {
            headers["X-OAuth-Scopes"] = Scopes.Join(caller.Scopes);
            headers["X-Accepted-OAuth-Scopes"] = string.Join(", ", endpoint?.Metadata.GetMetadata<AcceptedScopes>()?.Scopes ?? []);
        }
        if (caller.IsAuthenticated)
        {
            if (result.Token is { } token && lifetime.EffectiveExpiry(token) is { } expiry)
                headers["github-authentication-token-expiration"] = expiry.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        }

        var address = http.Connection.RemoteIpAddress?.ToString();
        var counted = endpoint?.Metadata.GetMetadata<NotRateLimited>() is null;
        var window = counted ? await limits.CountAsync(caller, address) : await limits.PeekAsync(caller, address);
        headers["x-ratelimit-limit"] = window.Limit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining"] = window.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-used"] = Math.Min(window.Used, window.Limit).ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset"] = window.Reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-resource"] = "core";
        if (counted && window.Used > window.Limit)
        {
            return ApiErrors.Result(StatusCodes.Status403Forbidden, caller.IsAuthenticated
                ? "API rate limit exceeded for user ID " + caller.User!.Id.ToString(CultureInfo.InvariantCulture) + "."
                : $"API rate limit exceeded for {address}. (But here's the good news: Authenticated requests get a higher rate limit.)");
        }
        var outcome = await next(context);
        // GETs carry an ETag of their JSON; a matching If-None-Match answers 304 and costs nothing.
        // The JSON is serialised once, here, and those bytes are the body.
        if (HttpMethods.IsGet(http.Request.Method) && outcome is IStatusCodeHttpResult { StatusCode: null or 200 } && outcome is IValueHttpResult { Value: { } value }
            && outcome is not IContentTypeHttpResult { ContentType: not (null or JsonContentType) })
        {
            var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), json.Value.SerializerOptions);
            var etag = $"W/\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..32]}\"";
            headers.ETag = etag;
            if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag)))
            {
                if (counted)
                {
                    var refunded = await limits.RefundAsync(caller, address);
                    headers["x-ratelimit-remaining"] = refunded.Remaining.ToString(CultureInfo.InvariantCulture);
                    headers["x-ratelimit-used"] = Math.Min(refunded.Used, refunded.Limit).ToString(CultureInfo.InvariantCulture);
                }
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            return Results.Bytes(bytes, JsonContentType);
        }
        return outcome;
    }

    /// <summary>For endpoints that need a user: 401 "Requires authentication" otherwise.</summary>
    public static IResult? RequireUser(Caller caller) =>
        caller.IsAuthenticated ? null : ApiErrors.Result(StatusCodes.Status401Unauthorized, "Requires authentication");
}
