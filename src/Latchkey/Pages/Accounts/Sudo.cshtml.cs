using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Accounts;

[Authorize]
public sealed class SudoModel(UserManager<User> users, SudoMode sudo, CredentialThrottle throttle, SecurityLogWriter log) : LatchkeyPageModel
{
    [BindProperty(SupportsGet = true, Name = "return_to")]
    public string? ReturnTo { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "ReturnTo")] string? returnTo)
    {
        ReturnTo = returnTo ?? ReturnTo;
        var address = HttpContext.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(address) is { } wait)
        {
            Response.Headers.RetryAfter = CredentialThrottle.Seconds(wait).ToString(CultureInfo.InvariantCulture);
            ModelState.AddModelError(string.Empty, "Too many failed attempts from your network. Try again later.");
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (string.IsNullOrEmpty(Password) || Password.Length > PasswordRules.MaxLength || !await users.CheckPasswordAsync(user, Password))
        {
            throttle.RecordFailure(address);
            await log.RecordAsync(user.Id, SecurityActions.SudoFailed, "Wrong password", succeeded: false);
            return FormErrors("Incorrect password.");
        }
        await sudo.RefreshAsync(User, HttpContext.RequestAborted);
        await log.RecordAsync(user.Id, SecurityActions.SudoConfirmed);
        return LocalRedirect(Url.IsLocalUrl(ReturnTo) ? ReturnTo : "/settings/profile");
    }
}
