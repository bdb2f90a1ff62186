using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>GitHub Enterprise Server's admin API: site administrators with the site_admin scope only.</summary>
public static class AdminApi
{
    public sealed record CreateUser(
        [property: JsonPropertyName("login")] string? Login,
        [property: JsonPropertyName("email")] string? Email);

    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("").Requires(SiteAdminRequirement.Instance);
        admin.MapPost("/admin/users", CreateAsync);
        admin.MapDelete("/admin/users/{username}", DeleteAsync);
        admin.MapPut("/users/{username}/suspended", (HttpContext c, string username, CurrentCaller current, AccountAdministration accounts) =>
            SuspendAsync(c, username, true, current, accounts));
        admin.MapDelete("/users/{username}/suspended", (HttpContext c, string username, CurrentCaller current, AccountAdministration accounts) =>
            SuspendAsync(c, username, false, current, accounts));
        return api;
    }

    private static ApiErrorResult OwnAccount(string verb) =>
        ApiErrors.Validation(new ApiErrors.FieldError("User", "login", "invalid", $"You cannot {verb} your own account."));

    /// <summary>Creates an account with no usable password: its owner sets one through a reset (or uses tokens an administrator makes).</summary>
    private static async Task<Results<Created<UserDto>, ApiErrorResult>> CreateAsync(HttpContext context, CurrentCaller current, UserManager<User> users, TimeProvider clock, SecurityLogWriter log)
    {
        var (body, invalid) = await ApiJson.ReadAsync<CreateUser>(context);
        if (invalid is not null)
            return invalid;
        if (UsernameRules.Validate(body!.Login) is { } bad)
            return ApiErrors.Validation(new ApiErrors.FieldError("User", "login", "invalid", bad));
        if (string.IsNullOrWhiteSpace(body.Email) || !new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(body.Email))
            return ApiErrors.Validation(new ApiErrors.FieldError("User", "email", "invalid", "email is invalid."));
        var user = new User { UserName = body.Login, Email = body.Email, CreatedAt = clock.GetUtcNow().UtcDateTime };
        var result = await users.CreateAsync(user);
        if (!result.Succeeded)
        {
            return ApiErrors.Validation(result.Errors.Select(e => new ApiErrors.FieldError("User",
                e.Code.Contains("Email", StringComparison.Ordinal) ? "email" : "login", "already_exists", e.Description)).ToArray());
        }
        await log.RecordAsync(user.Id, SecurityActions.SignUp, "Created by a site administrator through the API", actor: current.User);
        var urls = ApiUrls.Of(context.Request);
        return TypedResults.Created($"{urls.Api}/users/{user.UserName}", UserDto.From(user, current.Caller, 0, urls));
    }

    private static async Task<Results<NoContent, ApiErrorResult>> DeleteAsync(HttpContext context, string username, CurrentCaller current, AccountAdministration accounts)
    {
        if (await accounts.FindAsync(username, context.RequestAborted) is not { } user)
            return ApiErrors.NotFound();
        var (change, _) = await accounts.DeleteAsync(user, current.User!, context.RequestAborted);
        return change.Outcome == AccountChangeOutcome.OwnAccount ? OwnAccount("delete") : TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ApiErrorResult>> SuspendAsync(HttpContext context, string username, bool suspend, CurrentCaller current, AccountAdministration accounts)
    {
        if (await accounts.FindAsync(username, context.RequestAborted) is not { } user)
            return ApiErrors.NotFound();
        var change = await accounts.SetSuspendedAsync(user, suspend, current.User!, "Through the admin API", context.RequestAborted);
        return change.Outcome == AccountChangeOutcome.OwnAccount ? OwnAccount("suspend") : TypedResults.NoContent();
    }
}
