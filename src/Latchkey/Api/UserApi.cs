using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>Users: the caller (GET and PATCH /user, /user/emails) and anyone's public profile.</summary>
public static class UserApi
{
    public sealed record EmailDto(
        [property: JsonPropertyName("email")] string Email,
        [property: JsonPropertyName("primary")] bool Primary,
        [property: JsonPropertyName("verified")] bool Verified,
        [property: JsonPropertyName("visibility")] string? Visibility);

    public static RouteGroupBuilder MapUserApi(this RouteGroupBuilder api)
    {
        // GET /user counts the caller's public repositories on every call, through the hot reads.
        api.MapGet("/user", async Task<Ok<UserDto>> (HttpContext context, CurrentCaller current, IHotReads hot) =>
        {
            var user = current.User!;
            var publicRepos = await hot.PublicRepositoryCountAsync(user.Id, context.RequestAborted);
            return TypedResults.Ok(UserDto.From(user, current.Caller, publicRepos, ApiUrls.Of(context.Request)));
        }).Requires(SignedInRequirement.Instance);

        api.MapGet("/users/{username}", async Task<Results<Ok<UserDto>, ApiErrorResult>> (HttpContext context, string username, CurrentCaller current, LatchkeyDb db, IHotReads hot) =>
        {
            var normalized = UsernameRules.Normalize(username);
            var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, context.RequestAborted);
            if (user is null)
                return ApiErrors.NotFound();
            var publicRepos = await hot.PublicRepositoryCountAsync(user.Id, context.RequestAborted);
            return TypedResults.Ok(UserDto.From(user, current.Caller, publicRepos, ApiUrls.Of(context.Request)));
        }).Anonymous();

        api.MapGet("/user/emails", Ok<EmailDto[]> (CurrentCaller current) =>
        {
            var user = current.User!;
            return TypedResults.Ok(user.Email is null ? [] : new[] { new EmailDto(user.Email, true, user.EmailConfirmed, "private") });
        }).Requires(new AccountRequirement(Scopes.UserEmail, FineGrainedPermissions.EmailAddresses, PermissionLevel.Read, HiddenWithoutScope: true));

        api.MapPatch("/user", async Task<Results<Ok<UserDto>, ApiErrorResult>> (HttpContext context, CurrentCaller current, LatchkeyDb db, IHotReads hot) =>
        {
            // Latchkey keeps no profile fields a user may edit yet; unknown fields (site_admin, id, login) are ignored, as GitHub ignores them.
            var (_, invalid) = await ApiJson.ReadAsync<Dictionary<string, JsonElement>>(context);
            if (invalid is not null)
                return invalid;
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == current.User!.Id, context.RequestAborted);
            var publicRepos = await hot.PublicRepositoryCountAsync(user.Id, context.RequestAborted);
            return TypedResults.Ok(UserDto.From(user, current.Caller, publicRepos, ApiUrls.Of(context.Request)));
        }).Requires(new AccountRequirement(Scopes.User, FineGrainedPermissions.Profile, PermissionLevel.Write));
        return api;
    }
}
