using System.ComponentModel.DataAnnotations;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Accounts;

public sealed class LoginModel(UserManager<User> users, SignInManager<User> signIn, CredentialThrottle throttle, SecurityLogWriter log, Observability.LatchkeyMetrics metrics) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool Changed { get; set; }

    public sealed class InputModel
    {
        [Display(Name = "Username or email address")]
        public string? Login { get; set; }

        [Display(Name = "Password")]
        public string? Password { get; set; }
    }

    public IActionResult OnGet() =>
        User.Identity?.IsAuthenticated == true ? LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/") : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        const string Incorrect = "Incorrect username or password.";
        var address = HttpContext.Connection.RemoteIpAddress;
        var login = Input.Login?.Trim();
        if (string.IsNullOrEmpty(login) || string.IsNullOrEmpty(Input.Password) || Input.Password.Length > PasswordRules.MaxLength)
            return FormErrors(Incorrect);
        // Failures count per account and address: another person's typos from the same office never lock this one out.
        if (await throttle.PasswordRetryAfterAsync(login, address) is { } wait)
        {
            metrics.ThrottleRefusal("sign_in");
            Response.Headers.RetryAfter = CredentialThrottle.Seconds(wait).ToString(System.Globalization.CultureInfo.InvariantCulture);
            ModelState.AddModelError(string.Empty, $"Too many failed sign-in attempts for this account from your network. Try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes))} minutes.");
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        var user = login.Contains('@', StringComparison.Ordinal)
            ? await users.FindByEmailAsync(login)
            : await users.FindByNameAsync(login);
        if (user is null)
        {
            await throttle.RecordPasswordFailureAsync(login, address);
            return FormErrors(Incorrect);
        }

        if (user.IsSuspended)
        {
            // Checked before the password, but only said after a correct one: no account oracle.
            if (!await users.CheckPasswordAsync(user, Input.Password))
            {
                await throttle.RecordPasswordFailureAsync(login, address);
                await log.RecordAsync(user.Id, SecurityActions.SignInFailed, "Wrong password", succeeded: false);
                return FormErrors(Incorrect);
            }
            await log.RecordAsync(user.Id, SecurityActions.SignInFailed, "The account is suspended", succeeded: false);
            return FormErrors("This account is suspended. Contact the site administrator.");
        }

        var result = await signIn.PasswordSignInAsync(user, Input.Password, isPersistent: false, lockoutOnFailure: true);
        if (result.IsLockedOut)
        {
            await throttle.RecordPasswordFailureAsync(login, address);
            await log.RecordAsync(user.Id, SecurityActions.SignInFailed, "Web sign-in is locked after too many failed attempts", succeeded: false);
            // Only someone who knows the password learns that the account exists and is locked.
            if (!await users.CheckPasswordAsync(user, Input.Password))
                return FormErrors(Incorrect);
            return FormErrors("This account's web sign-in is locked after too many failed attempts. Try again later. Personal access tokens keep working.");
        }
        if (!result.Succeeded)
        {
            await throttle.RecordPasswordFailureAsync(login, address);
            await log.RecordAsync(user.Id, SecurityActions.SignInFailed, "Wrong password", succeeded: false);
            return FormErrors(Incorrect);
        }
        await log.RecordAsync(user.Id, SecurityActions.SignIn);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
