using Latchkey.Authorization;

namespace Latchkey.Api;

/// <summary>GET /api/v3/, /meta and /rate_limit: open to anyone, as on GitHub.</summary>
public static class RootApi
{
    public static RouteGroupBuilder MapRootApi(this RouteGroupBuilder api)
    {
        api.MapGet("/", (HttpRequest request) =>
        {
            var urls = ApiUrls.Of(request);
            return Results.Json(new Dictionary<string, string>
            {
                ["current_user_url"] = $"{urls.Api}/user",
                ["user_url"] = $"{urls.Api}/users/{{user}}",
                ["user_repositories_url"] = $"{urls.Api}/users/{{user}}/repos",
                ["repository_url"] = $"{urls.Api}/repos/{{owner}}/{{repo}}",
                ["rate_limit_url"] = $"{urls.Api}/rate_limit",
            });
        }).Anonymous();
        api.MapGet("/meta", () => Results.Json(new Dictionary<string, object>
        {
            ["verifiable_password_authentication"] = false,
            ["installed_version"] = typeof(RootApi).Assembly.GetName().Version?.ToString() ?? "0",
        })).Anonymous();
        api.MapGet("/rate_limit", async (HttpContext context, CurrentCaller current, ApiRateLimits limits) =>
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
            return Results.Json(new Dictionary<string, object> { ["resources"] = new Dictionary<string, object> { ["core"] = core }, ["rate"] = core });
        }).WithMetadata(new NotRateLimited()).Anonymous();
        return api;
    }
}
