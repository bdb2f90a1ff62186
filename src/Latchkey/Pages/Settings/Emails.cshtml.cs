using System.ComponentModel.DataAnnotations;
using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

/// <summary>Changing the email address (a sign-in name) needs sudo mode, as on GitHub.</summary>
[Authorize]
[RequireSudo]
public sealed class EmailsModel(UserManager<User> users, SecurityLogWriter log) : LatchkeyPageModel
{
    public string? CurrentEmail { get; private set; }

    [BindProperty]
    public string? NewEmail { get; set; }

    [TempData]
    public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        CurrentEmail = user.Email;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        CurrentEmail = user.Email;
        var email = NewEmail?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > 254 || !new EmailAddressAttribute().IsValid(email))
            return FormErrors("Email address is invalid.");
        var result = await users.SetEmailAsync(user, email);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Code == nameof(IdentityErrorDescriber.DuplicateEmail)
                    ? "Email address is already in use."
                    : error.Description);
            }
            return FormErrors();
        }
        await log.RecordAsync(user.Id, SecurityActions.EmailChanged, $"From {CurrentEmail} to {email}");
        Flash = $"Your email address is now {email}.";
        return RedirectToPage();
    }
}
