using Latchkey.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>GET /api/v3/, /meta and /rate_limit: open to anyone, as on GitHub.</summary>
public static class RootApi
{
    public static RouteGroupBuilder MapRootApi(this RouteGroupBuilder api)
    {
        api.MapGet("/", Ok<Dictionary<string, string>> (HttpRequest request) =>
        {
            var urls = ApiUrls.Of(request);
            return TypedResults.Ok(new Dictionary<string, string>
            {
                ["current_user_url"] = $"{urls.Api}/user",
                ["user_url"] = $"{urls.Api}/users/{{user}}",
                ["user_repositories_url"] = $"{urls.Api}/users/{{user}}/repos",
                ["repository_url"] = $"{urls.Api}/repos/{{owner}}/{{repo}}",
                ["rate_limit_url"] = $"{urls.Api}/rate_limit",
            });
        }).Anonymous();
        // As GitHub Enterprise Server answers it: Git Credential Manager and gh recognise a GitHub host
        // by installed_version, and offer tokens rather than a password when passwords are not verifiable.
        api.MapGet("/meta", () => TypedResults.Ok(new Dictionary<string, object>
        {
            ["verifiable_password_authentication"] = false,
            ["installed_version"] = GitHubEnterprise.Version,
            ["latchkey_version"] = GitHubEnterprise.LatchkeyVersion,
        })).Anonymous();
        api.MapGet("/rate_limit", async Task<Ok<Dictionary<string, object>>> (HttpContext context, CurrentCaller current, ApiRateLimits limits) =>
        {
            var window = await limits.PeekAsync(current.Caller, context.Connection.RemoteIpAddress?.ToString());
            var core = new Dictionary<string, object>
            {
                ["limit"] = window.Limit,
                ["remaining"] = window.Remaining,
                ["reset"] = window.Reset.ToUnixTimeSeconds(),
                ["used"] = Math.Min(window.Used, window.Limit),
                ["resource"] = "core",
            };
            return TypedResults.Ok(new Dictionary<string, object> { ["resources"] = new Dictionary<string, object> { ["core"] = core }, ["rate"] = core });
        }).WithMetadata(new NotRateLimited()).Anonymous();
        return api;
    }
}

/// <summary>The GitHub Enterprise Server version Latchkey answers as (what its API follows), and its own.</summary>
public static class GitHubEnterprise
{
    /// <summary>A GHES 3.x release whose REST API and headers Latchkey follows; clients check the major version.</summary>
    public const string Version = "3.14.0";

    public static string LatchkeyVersion { get; } = typeof(GitHubEnterprise).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
