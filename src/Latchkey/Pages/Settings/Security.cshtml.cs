using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class SecurityModel(UserManager<User> users, SignInManager<User> signIn, Sessions sessions, SecurityLogWriter log) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        public string? OldPassword { get; set; }
        public string? NewPassword { get; set; }
        public string? ConfirmPassword { get; set; }
    }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (string.IsNullOrEmpty(Input.OldPassword) || string.IsNullOrEmpty(Input.NewPassword))
            return FormErrors("Enter your old password and a new password.");
        if (!string.Equals(Input.NewPassword, Input.ConfirmPassword, StringComparison.Ordinal))
            return FormErrors("The new password and its confirmation do not match.");

        // Passwords are used exactly as typed: never trimmed or case-folded.
        var result = await users.ChangePasswordAsync(user, Input.OldPassword, Input.NewPassword);
        if (!result.Succeeded)
        {
            if (result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch)))
                await log.RecordAsync(user.Id, SecurityActions.PasswordChangeFailed, "Wrong old password", succeeded: false);
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Code == nameof(IdentityErrorDescriber.PasswordMismatch)
                    ? "Old password isn't valid."
                    : error.Description);
            }
            return FormErrors();
        }

        // A new password ends every session: the security stamp changes anyway, and a session someone
        // else holds is exactly what a password change is meant to stop.
        var ended = await sessions.EndAllAsync(user.Id, Sessions.CurrentId(User), HttpContext.RequestAborted);
        await log.RecordAsync(user.Id, SecurityActions.PasswordChanged, $"Other sessions signed out: {ended}");
        // This browser's session ends too: signing in with the new password starts a fresh one
        // (the cookie handler would otherwise keep the old session id across a re-sign-in).
        await signIn.SignOutAsync();
        return Redirect("/login?changed=true");
    }
}
