using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Accounts;

public sealed class LogoutModel(SignInManager<User> signIn, UserManager<User> users, SecurityLogWriter log) : LatchkeyPageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (users.GetUserId(User) is { } id)
            await log.RecordAsync(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), SecurityActions.SignOut);
        await signIn.SignOutAsync();
        // Browsers drop everything this site stored for the signed-out person.
        Response.Headers["Clear-Site-Data"] = "\"cache\", \"cookies\", \"storage\"";
        return Redirect("/");
    }
}
