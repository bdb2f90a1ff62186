using System.Globalization;
using Latchkey.Accounts;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class SessionsModel(UserManager<User> users, Sessions sessions, SecurityLogWriter log) : LatchkeyPageModel
{
    public IReadOnlyList<UserSession> List { get; private set; } = [];
    public string? CurrentId { get; private set; }

    [TempData]
    public string? Flash { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        CurrentId = Sessions.CurrentId(User);
        List = await sessions.ListAsync(user.Id, HttpContext.RequestAborted);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        if (string.IsNullOrEmpty(id) || !await sessions.EndAsync(user.Id, id, HttpContext.RequestAborted))
            return NotFound();
        await log.RecordAsync(user.Id, SecurityActions.SessionRevoked, "One session revoked");
        Flash = "Session revoked.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRevokeOthersAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        var ended = await sessions.EndAllAsync(user.Id, Sessions.CurrentId(User), HttpContext.RequestAborted);
        await log.RecordAsync(user.Id, SecurityActions.SessionRevoked, $"All other sessions revoked: {ended}");
        Flash = ended == 1 ? "Signed out 1 other session." : $"Signed out {ended} other sessions.";
        return RedirectToPage();
    }

    public static string Format(DateTime utc) => utc.ToString("MMM d, yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A short, human name for a user agent: the browser and the system, as far as they can be told.</summary>
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
            return "Unknown device";
        string browser = userAgent switch
        {
            _ when userAgent.Contains("Edg/", StringComparison.Ordinal) => "Edge",
            _ when userAgent.Contains("Firefox/", StringComparison.Ordinal) => "Firefox",
            _ when userAgent.Contains("Chrome/", StringComparison.Ordinal) => "Chrome",
            _ when userAgent.Contains("Safari/", StringComparison.Ordinal) => "Safari",
            _ => userAgent.Split('/', ' ')[0],
        };
        string? system = userAgent switch
        {
            _ when userAgent.Contains("Windows", StringComparison.Ordinal) => "Windows",
            _ when userAgent.Contains("Android", StringComparison.Ordinal) => "Android",
            _ when userAgent.Contains("iPhone", StringComparison.Ordinal) || userAgent.Contains("iPad", StringComparison.Ordinal) => "iOS",
            _ when userAgent.Contains("Mac OS", StringComparison.Ordinal) => "macOS",
            _ when userAgent.Contains("Linux", StringComparison.Ordinal) => "Linux",
            _ => null,
        };
        var name = system is null ? browser : $"{browser} on {system}";
        return name.Length > 80 ? name[..80] : name;
    }
}
