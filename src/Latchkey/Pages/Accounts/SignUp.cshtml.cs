using System.ComponentModel.DataAnnotations;
using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Pages.Accounts;

public sealed class SignUpModel(UserManager<User> users, SignInManager<User> signIn, TimeProvider clock, SecurityLogWriter log) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        [Display(Name = "Username")]
        public string? Username { get; set; }

        [Display(Name = "Email address")]
        public string? Email { get; set; }

        [Display(Name = "Password")]
        public string? Password { get; set; }
    }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? Redirect("/") : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var username = Input.Username?.Trim();
        if (UsernameRules.Validate(username) is { } badName)
            ModelState.AddModelError("Input.Username", badName);
        var email = Input.Email?.Trim();
        if (string.IsNullOrEmpty(email) || !new EmailAddressAttribute().IsValid(email) || email.Length > 254)
            ModelState.AddModelError("Input.Email", "Email address is invalid.");
        var password = Input.Password ?? "";
        if (password.Length < PasswordRules.MinLength)
            ModelState.AddModelError("Input.Password", $"Password is too short (minimum is {PasswordRules.MinLength} characters).");
        else if (password.Length > PasswordRules.MaxLength)
            ModelState.AddModelError("Input.Password", $"Password is too long (maximum is {PasswordRules.MaxLength} characters).");
        if (!ModelState.IsValid)
            return FormErrors();

        // The first account administers the site.
        var isFirst = !await users.Users.AnyAsync(HttpContext.RequestAborted);
        var user = new User
        {
            UserName = username,
            Email = email,
            IsSiteAdmin = isFirst,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
                ModelState.AddModelError(string.Empty, Describe(error));
            return FormErrors();
        }
        await log.RecordAsync(user.Id, SecurityActions.SignUp, isFirst ? "The first account: site administrator" : null);
        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/");
    }

    private static string Describe(IdentityError error) => error.Code switch
    {
        nameof(IdentityErrorDescriber.DuplicateUserName) => "Username is already taken.",
        nameof(IdentityErrorDescriber.DuplicateEmail) => "Email address is already in use.",
        _ => error.Description,
    };
}
