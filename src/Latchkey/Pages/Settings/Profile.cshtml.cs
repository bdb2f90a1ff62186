using Latchkey.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class ProfileModel(UserManager<User> users) : LatchkeyPageModel
{
    public long UserId { get; private set; }
    public string? Username { get; private set; }
    public string? Email { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        (UserId, Username, Email) = (user.Id, user.UserName, user.Email);
        return Page();
    }
}
