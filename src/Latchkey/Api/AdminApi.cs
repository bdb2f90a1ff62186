using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>GitHub Enterprise Server's admin API: site administrators with the site_admin scope only.</summary>
public static class AdminApi
{
    public sealed record CreateUser(
        [property: JsonPropertyName("login")] string? Login,
        [property: JsonPropertyName("email")] string? Email);

    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        api.MapPost("/admin/users", CreateAsync).WithMetadata(new AcceptedScopes(Scopes.SiteAdmin));
        api.MapDelete("/admin/users/{username}", DeleteAsync).WithMetadata(new AcceptedScopes(Scopes.SiteAdmin));
        api.MapPut("/users/{username}/suspended", (HttpContext c, string username, LatchkeyDb db, Sessions sessions, TimeProvider clock, SecurityLogWriter log) =>
            SuspendAsync(c, username, true, db, sessions, clock, log)).WithMetadata(new AcceptedScopes(Scopes.SiteAdmin));
        api.MapDelete("/users/{username}/suspended", (HttpContext c, string username, LatchkeyDb db, Sessions sessions, TimeProvider clock, SecurityLogWriter log) =>
            SuspendAsync(c, username, false, db, sessions, clock, log)).WithMetadata(new AcceptedScopes(Scopes.SiteAdmin));
        return api;
    }

    /// <summary>The administrator and the account they act on; never their own.</summary>
    private static async Task<(Caller Caller, User User, IResult? Refusal)> TargetAsync(HttpContext context, string username, string verb, LatchkeyDb db)
    {
        var caller = ApiGate.CallerOf(context);
        if (Refuse(caller) is { } refusal)
            return (caller, null!, refusal);
        var normalized = UsernameRules.Normalize(username);
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, context.RequestAborted);
        if (user is null)
            return (caller, null!, ApiErrors.NotFound());
        if (user.Id == caller.User!.Id)
            return (caller, user, ApiErrors.Validation(new ApiErrors.FieldError("User", "login", "invalid", $"You cannot {verb} your own account.")));
        return (caller, user, null);
    }

    private static IResult? Refuse(Caller caller) => AccessPolicy.DecideSiteAdmin(caller).Kind switch
    {
        DecisionKind.Allow => null,
        DecisionKind.Challenge => ApiErrors.Result(StatusCodes.Status401Unauthorized, "Requires authentication"),
        DecisionKind.Forbidden => ApiErrors.Result(StatusCodes.Status403Forbidden, "This request needs the site_admin scope; the token does not have it."),
        _ => ApiErrors.NotFound(),
    };

    /// <summary>Creates an account with no usable password: its owner sets one through a reset (or uses tokens an administrator makes).</summary>
    private static async Task<IResult> CreateAsync(HttpContext context, UserManager<User> users, TimeProvider clock, SecurityLogWriter log)
    {
        var caller = ApiGate.CallerOf(context);
        if (Refuse(caller) is { } refusal)
            return refusal;
        CreateUser? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<CreateUser>(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return ApiErrors.Result(StatusCodes.Status400BadRequest, "Problems parsing JSON");
        }
        if (UsernameRules.Validate(body?.Login) is { } bad)
            return ApiErrors.Validation(new ApiErrors.FieldError("User", "login", "invalid", bad));
        if (string.IsNullOrWhiteSpace(body!.Email) || !new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(body.Email))
            return ApiErrors.Validation(new ApiErrors.FieldError("User", "email", "invalid", "email is invalid."));
        var user = new User { UserName = body.Login, Email = body.Email, CreatedAt = clock.GetUtcNow().UtcDateTime };
        var result = await users.CreateAsync(user);
        if (!result.Succeeded)
        {
            return ApiErrors.Validation(result.Errors.Select(e => new ApiErrors.FieldError("User",
                e.Code.Contains("Email", StringComparison.Ordinal) ? "email" : "login", "already_exists", e.Description)).ToArray());
        }
        await log.RecordAsync(user.Id, SecurityActions.SignUp, "Created by a site administrator through the API", actor: caller.User);
        return Results.Json(UserDto.From(user, caller, 0, ApiUrls.Of(context.Request)), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string username, LatchkeyDb db, Repositories.RepositoryStore store, SecurityLogWriter log)
    {
        var (caller, user, refusal) = await TargetAsync(context, username, "delete", db);
        if (refusal is not null)
            return refusal;
        var repos = await db.Repositories.Where(r => r.OwnerId == user.Id).ToListAsync(context.RequestAborted);
        await db.Invitations.Where(i => i.InviterId == user.Id).ExecuteDeleteAsync(context.RequestAborted);
        db.Users.Remove(user);
        await db.SaveChangesAsync(context.RequestAborted);
        foreach (var repo in repos)
            store.Delete(repo);
        // The account's own log goes with it; the administrator's keeps the deletion.
        await log.RecordAsync(caller.User!.Id, SecurityActions.UserDeleted, $"Deleted the account {user.UserName} (id {user.Id}) and its {repos.Count} repositories", actor: caller.User);
        return Results.NoContent();
    }

    private static async Task<IResult> SuspendAsync(HttpContext context, string username, bool suspend, LatchkeyDb db, Sessions sessions, TimeProvider clock, SecurityLogWriter log)
    {
        var (caller, user, refusal) = await TargetAsync(context, username, "suspend", db);
        if (refusal is not null)
            return refusal;
        user.SuspendedAt = suspend ? clock.GetUtcNow().UtcDateTime : null;
        await db.SaveChangesAsync(context.RequestAborted);
        if (suspend)
            await sessions.EndAllAsync(user.Id, null, context.RequestAborted);
        await log.RecordAsync(user.Id, suspend ? SecurityActions.Suspended : SecurityActions.Unsuspended, "Through the admin API", actor: caller.User);
        return Results.NoContent();
    }
}
