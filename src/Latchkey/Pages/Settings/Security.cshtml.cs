using Latchkey.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class SecurityModel(UserManager<User> users, SignInManager<User> signIn, Sessions sessions) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        public string? OldPassword { get; set; }
        public string? NewPassword { get; set; }
        public string? ConfirmPassword { get; set; }
        public bool SignOutOthers { get; set; } = true;
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
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Code == nameof(IdentityErrorDescriber.PasswordMismatch)
                    ? "Old password isn't valid."
                    : error.Description);
            }
            return FormErrors();
        }

        if (Input.SignOutOthers)
            await sessions.EndAllAsync(user.Id, Sessions.CurrentId(User), HttpContext.RequestAborted);
        // This browser's session ends too: signing in with the new password starts a fresh one
        // (the cookie handler would otherwise keep the old session id across a re-sign-in).
        await signIn.SignOutAsync();
        return Redirect("/login?changed=true");
    }
}
