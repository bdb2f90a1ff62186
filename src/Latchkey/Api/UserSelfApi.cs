using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>GET /user/emails (user:email) and PATCH /user (user): only fields Latchkey has are changed.</summary>
public static class UserSelfApi
{
    public sealed record EmailDto(
        [property: JsonPropertyName("email")] string Email,
        [property: JsonPropertyName("primary")] bool Primary,
        [property: JsonPropertyName("verified")] bool Verified,
        [property: JsonPropertyName("visibility")] string? Visibility);

    public static RouteGroupBuilder MapUserSelfApi(this RouteGroupBuilder api)
    {
        api.MapGet("/user/emails", (HttpContext context) =>
        {
            var caller = ApiGate.CallerOf(context);
            if (ApiGate.RequireUser(caller) is { } refusal)
                return refusal;
            var decision = AccessPolicy.DecideAccount(caller, Scopes.UserEmail, FineGrainedPermissions.EmailAddresses, PermissionLevel.Read);
            if (decision.MissingPermission is not null)
                return ApiErrors.Result(StatusCodes.Status403Forbidden, "Resource not accessible by personal access token");
            if (!decision.IsAllowed)
                return ApiErrors.Result(StatusCodes.Status404NotFound, "Not Found");
            var email = caller.User!.Email;
            return Results.Json(email is null ? [] : new[] { new EmailDto(email, true, caller.User.EmailConfirmed, "private") });
        }).WithMetadata(new AcceptedScopes(Scopes.UserEmail), new AcceptedPermissions("email_addresses=read"));

        api.MapPatch("/user", async (HttpContext context, LatchkeyDb db, IHotReads hot) =>
        {
            var caller = ApiGate.CallerOf(context);
            if (ApiGate.RequireUser(caller) is { } refusal)
                return refusal;
            var decision = AccessPolicy.DecideAccount(caller, Scopes.User, FineGrainedPermissions.Profile, PermissionLevel.Write);
            if (decision.MissingPermission is not null)
                return ApiErrors.Result(StatusCodes.Status403Forbidden, "Resource not accessible by personal access token");
            if (!decision.IsAllowed)
                return ApiErrors.Result(StatusCodes.Status403Forbidden, "This request needs the user scope; the token does not have it.");
            try
            {
                // Latchkey keeps no profile fields a user may edit yet; unknown fields (site_admin, id, login) are ignored, as GitHub ignores them.
                using var _ = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            }
            catch (JsonException)
            {
                return ApiErrors.Result(StatusCodes.Status400BadRequest, "Problems parsing JSON");
            }
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == caller.User!.Id, context.RequestAborted);
            var publicRepos = await hot.PublicRepositoryCountAsync(user.Id, context.RequestAborted);
            return Results.Json(UserDto.From(user, caller, publicRepos, ApiUrls.Of(context.Request)));
        }).WithMetadata(new AcceptedScopes(Scopes.User), new AcceptedPermissions("profile=write"));
        return api;
    }
}
