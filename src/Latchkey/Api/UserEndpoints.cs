using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Tokens;

namespace Latchkey.Api;

/// <summary>GET /api/v3/user: the authenticated user, in GitHub's shape.</summary>
public static class UserEndpoints
{
    public sealed record UserDto(
        [property: JsonPropertyName("login")] string Login,
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("avatar_url")] string AvatarUrl,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("site_admin")] bool SiteAdmin,
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("created_at")] DateTime CreatedAt);

    public static IEndpointRouteBuilder MapUserApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v3/user", async (HttpContext context, ApiAuthentication api) =>
        {
            if (await api.RequireAsync(context) is not { User: { } user } caller)
                return;
            await context.Response.WriteAsJsonAsync(ToDto(user, caller, Base(context)), context.RequestAborted);
        });
        return app;
    }

    /// <summary>The email shows only to a credential allowed to read it (session, or user / user:email scope).</summary>
    public static UserDto ToDto(User user, Caller caller, string baseUrl) => new(
        user.UserName!,
        user.Id,
        $"{baseUrl}/avatars/u/{user.Id}",
        $"{baseUrl}/{user.UserName}",
        $"{baseUrl}/api/v3/users/{user.UserName}",
        "User",
        user.IsSiteAdmin,
        caller.Credential == CredentialKind.Session || caller.HasScope(Scopes.UserEmail) ? user.Email : null,
        DateTime.SpecifyKind(user.CreatedAt, DateTimeKind.Utc));

    private static string Base(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
}
