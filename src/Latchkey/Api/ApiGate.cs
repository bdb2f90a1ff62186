using System.Globalization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Api;

/// <summary>Endpoint metadata: calls that do not count against the rate limit (GET /rate_limit).</summary>
public sealed record NotRateLimited;

/// <summary>API rate limits (section "Api"): per user for token calls, per address for anonymous ones and for leak reports.</summary>
public sealed class ApiRateOptions
{
    public int UserLimit { get; set; } = 5000;
    public int AnonymousLimit { get; set; } = 60;

    /// <summary>Leak reports (POST /credentials/revoke) an hour per address.</summary>
    public int RevocationReportLimit { get; set; } = 60;

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<ApiRateOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ApiRateOptions options) => OptionRules.Check(
            OptionRules.AtLeast("Api:UserLimit", options.UserLimit, 1),
            OptionRules.AtLeast("Api:AnonymousLimit", options.AnonymousLimit, 1),
            OptionRules.AtLeast("Api:RevocationReportLimit", options.RevocationReportLimit, 1));
    }
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
/// Every /api/v3 call passes here: the token scheme (tokens, throttle, security log) sets the
/// caller, then the rate limit, GitHub's headers from the endpoint's declared requirement, and the
/// requirement itself, deny-by-default: an endpoint that declares neither a requirement nor
/// anonymous access is refused. On <c>{owner}/{repo}</c> routes the repository is loaded and
/// authorized here, once, and handed to the handler in <see cref="CurrentCaller.Repository"/>.
/// </summary>
public sealed class ApiGate(ApiRateLimits limits, TokenLifetimePolicy lifetime, Authorizer authorizer, RepositoryService repositories,
    Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IEndpointFilter
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var headers = http.Response.Headers;
        var endpoint = http.GetEndpoint();
        headers["X-GitHub-Media-Type"] = "github.v3; format=json";
        // GitHub's names for the request id and the server version, where clients (GCM, gh) look for them.
        headers["X-GitHub-Request-Id"] = http.TraceIdentifier;
        headers["X-GitHub-Enterprise-Version"] = GitHubEnterprise.Version;
        headers["X-Latchkey-Version"] = GitHubEnterprise.LatchkeyVersion;

        var current = await TokenAuthenticationHandler.AuthenticateAsync(http);
        if (ApiRefusals.ForCredential(http, current.Credential!) is { } refused)
            return refused;

        var caller = current.Caller;
        var requirement = Authorizer.DeclaredBy(endpoint);
        // As GitHub: what an authenticated caller sees is private to them, and varies with who asks.
        headers.CacheControl = caller.IsAuthenticated ? "private, max-age=60, s-maxage=60" : "public, max-age=60, s-maxage=60";
        headers.Vary = "Accept, Authorization, Cookie";
        if (caller.Credential == CredentialKind.FineGrainedToken)
        {
            // As GitHub: fine-grained tokens hear which permission the endpoint wants, not scopes.
            if (requirement is { AcceptedPermissions.Count: > 0 } declared)
                headers["X-Accepted-GitHub-Permissions"] = string.Join(",", declared.AcceptedPermissions);
        }
        else if (caller.IsAuthenticated)
        {
            headers["X-OAuth-Scopes"] = Scopes.Join(caller.Scopes);
            headers["X-Accepted-OAuth-Scopes"] = string.Join(", ", requirement?.AcceptedScopes ?? []);
        }
        if (caller.IsAuthenticated && current.Token is { } token && lifetime.EffectiveExpiry(token) is { } expiry)
            headers["github-authentication-token-expiration"] = expiry.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

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

        if (await AuthorizeAsync(http, requirement, endpoint, current) is { } refusal)
            return refusal;

        var returned = await next(context);
        // Handlers declare their outcomes as Results<…>; the one they chose is inside.
        var outcome = returned is INestedHttpResult nested ? nested.Result : returned;
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
        return returned;
    }

    /// <summary>Null when the declared requirement is met (the repository of a repository route loaded); otherwise the refusal.</summary>
    private async Task<IResult?> AuthorizeAsync(HttpContext http, AccessRequirement? requirement, Endpoint? endpoint, CurrentCaller current)
    {
        if (requirement is null)
        {
            return Authorizer.IsAnonymous(endpoint)
                ? null
                : ApiErrors.Result(StatusCodes.Status403Forbidden, "This endpoint declares no access requirement, so it is closed.");
        }
        object? resource = null;
        if (requirement is RepositoryRequirement repositoryRequirement)
        {
            // Some answers come before the lookup (an anonymous write: 401 for public, private and missing alike).
            if (AccessPolicy.DecideBeforeLookup(current.Caller, repositoryRequirement) is { } early)
                return ApiRefusals.For(early, requirement);
            // A name ending in .git is not a repository here; the policy answers it as a missing one.
            if (http.GetRouteValue("owner") is string owner && http.GetRouteValue("repo") is string name
                && !name.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
                resource = current.Repository = await repositories.FindAsync(owner, name, http.RequestAborted);
        }
        var decision = await authorizer.DecideAsync(requirement, resource);
        if (!decision.IsAllowed)
        {
            current.Repository = null;
            return ApiRefusals.For(decision, requirement);
        }
        return null;
    }

    /// <summary>
    /// A second decision inside a handler, for what only the body says (the visibility of a new
    /// repository, a change of visibility): null when allowed, else the API's refusal.
    /// </summary>
    public static async Task<ApiErrorResult?> RefuseUnlessAsync(Authorizer authorizer, AccessRequirement requirement, object? resource)
    {
        var decision = await authorizer.DecideAsync(requirement, resource);
        return decision.IsAllowed ? null : ApiRefusals.For(decision, requirement);
    }
}
