using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Accounts;

/// <summary>
/// The sudo prompt. Confirming is a re-authentication: the post arrives without its session cookie
/// (<see cref="FreshSessionAtSignIn"/>), the password is checked for the user of that dropped session,
/// which then ends, and a fresh session with a fresh id begins. A cross-site post carries no session
/// cookie (SameSite) and so confirms nothing, which is why the antiforgery token is not needed here.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class SudoModel(UserManager<User> users, SignInManager<User> signIn, SessionStore store, CredentialThrottle throttle, SecurityLogWriter log)
    : LatchkeyPageModel
{
    [BindProperty(SupportsGet = true, Name = "return_to")]
    public string? ReturnTo { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? Page() : Challenge();

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "ReturnTo")] string? returnTo)
    {
        ReturnTo = returnTo ?? ReturnTo;
        var address = HttpContext.Connection.RemoteIpAddress;
        if (await PreviousSession.ReadAsync(HttpContext) is not { } previous)
            return Challenge();
        // The page renders as the person it asks, though this request carries no session.
        HttpContext.User = previous.Principal;
        var user = await users.GetUserAsync(previous.Principal);
        if (user is null || user.IsSuspended)
            return Challenge();
        if (await throttle.PasswordRetryAfterAsync(user.UserName!, address) is { } wait)
        {
            Response.Headers.RetryAfter = CredentialThrottle.Seconds(wait).ToString(CultureInfo.InvariantCulture);
            ModelState.AddModelError(string.Empty, "Too many failed attempts from your network. Try again later.");
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }
        if (string.IsNullOrEmpty(Password) || Password.Length > PasswordRules.MaxLength || !await users.CheckPasswordAsync(user, Password))
        {
            await throttle.RecordPasswordFailureAsync(user.UserName!, address);
            await log.RecordAsync(user.Id, SecurityActions.SudoFailed, "Wrong password", succeeded: false);
            return FormErrors("Incorrect password.");
        }
        await store.RemoveAsync(previous.Id, HttpContext.RequestAborted);
        await signIn.SignInAsync(user, isPersistent: false);
        await log.RecordAsync(user.Id, SecurityActions.SudoConfirmed);
        return LocalRedirect(Url.IsLocalUrl(ReturnTo) ? ReturnTo : "/settings/profile");
    }
}
