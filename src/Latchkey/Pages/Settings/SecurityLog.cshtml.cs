using System.Globalization;
using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class SecurityLogModel(UserManager<User> users, SecurityLogWriter log) : LatchkeyPageModel
{
    public const int PerPage = 50;
    public const int MaxPage = 10_000;

    public IReadOnlyList<SecurityEvent> Entries { get; private set; } = [];
    public int PageNumber { get; private set; } = 1;
    public bool HasMore { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] string? page)
    {
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > MaxPage))
            return BadRequest($"page must be a whole number from 1 to {MaxPage}.");
        PageNumber = page is null ? 1 : int.Parse(page, CultureInfo.InvariantCulture);
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        (var entries, HasMore) = await log.PageAsync(user.Id, PageNumber, PerPage, HttpContext.RequestAborted);
        Entries = entries;
        return Page();
    }
}
