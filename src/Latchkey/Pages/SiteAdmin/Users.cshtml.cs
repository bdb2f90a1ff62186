using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Pages.SiteAdmin;

/// <summary>Site administrators suspend accounts and end their sessions; both take effect at once.</summary>
[Authorize]
[RequireSudo("Suspend", "Unsuspend", "EndSessions")]
public sealed class SiteAdminUsersModel(LatchkeyDb db, WebCaller callers, AccountAdministration accounts) : LatchkeyPageModel
{
    private User? _admin;

    public IReadOnlyList<User> List { get; private set; } = [];
    public Dictionary<long, int> SessionCounts { get; private set; } = [];
    public long CurrentUserId { get; private set; }

    [TempData]
    public string? Flash { get; set; }

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var caller = await callers.GetAsync(HttpContext);
        if (WebRefusal.For(this, AccessPolicy.DecideSiteAdmin(caller)) is { } refusal)
        {
            context.Result = refusal;
            return;
        }
        CurrentUserId = caller.User!.Id;
        _admin = caller.User;
        await next();
    }

    public async Task OnGetAsync()
    {
        List = await db.Users.AsNoTracking().OrderBy(u => u.NormalizedUserName).ToListAsync(HttpContext.RequestAborted);
        SessionCounts = await db.Sessions.GroupBy(s => s.UserId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, HttpContext.RequestAborted);
    }

    public Task<IActionResult> OnPostSuspendAsync(long id) => ChangeAsync(id, suspend: true);

    public Task<IActionResult> OnPostUnsuspendAsync(long id) => ChangeAsync(id, suspend: false);

    public async Task<IActionResult> OnPostEndSessionsAsync(long id)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, HttpContext.RequestAborted);
        if (user is null)
            return NotFound();
        var change = await accounts.EndSessionsAsync(user, _admin, HttpContext.RequestAborted);
        Flash = $"Signed {user.UserName} out of {change.EndedSessions} session{(change.EndedSessions == 1 ? "" : "s")}.";
        return RedirectToPage();
    }

    private async Task<IActionResult> ChangeAsync(long id, bool suspend)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, HttpContext.RequestAborted);
        if (user is null)
            return NotFound();
        var change = await accounts.SetSuspendedAsync(user, suspend, _admin, null, HttpContext.RequestAborted);
        if (change.Outcome == AccountChangeOutcome.OwnAccount)
        {
            await OnGetAsync();
            return FormErrors("You cannot suspend your own account.");
        }
        Flash = suspend ? $"Suspended {user.UserName}: signed out everywhere, tokens refused." : $"Unsuspended {user.UserName}.";
        return RedirectToPage();
    }
}
