using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Pages.SiteAdmin;

/// <summary>Site administrators suspend accounts and end their sessions; both take effect at once.</summary>
[Authorize]
[RequireSudo("Suspend", "Unsuspend", "EndSessions")]
public sealed class SiteAdminUsersModel(LatchkeyDb db, WebCaller callers, Sessions sessions, TimeProvider clock, SecurityLogWriter log) : LatchkeyPageModel
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
        var decision = AccessPolicy.DecideSiteAdmin(caller);
        if (!decision.IsAllowed)
        {
            context.Result = decision.Kind == DecisionKind.Challenge ? Challenge() : NotFound();
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
        var user = await db.Users.FindAsync([id], HttpContext.RequestAborted);
        if (user is null)
            return NotFound();
        var ended = await sessions.EndAllAsync(user.Id, null, HttpContext.RequestAborted);
        await log.RecordAsync(user.Id, SecurityActions.SessionsEndedByAdmin, $"Sessions ended: {ended}", actor: _admin);
        Flash = $"Signed {user.UserName} out of {ended} session{(ended == 1 ? "" : "s")}.";
        return RedirectToPage();
    }

    private async Task<IActionResult> ChangeAsync(long id, bool suspend)
    {
        var user = await db.Users.FindAsync([id], HttpContext.RequestAborted);
        if (user is null)
            return NotFound();
        if (user.Id == CurrentUserId)
        {
            await OnGetAsync();
            return FormErrors("You cannot suspend your own account.");
        }
        user.SuspendedAt = suspend ? clock.GetUtcNow().UtcDateTime : null;
        await db.SaveChangesAsync(HttpContext.RequestAborted);
        if (suspend)
            await sessions.EndAllAsync(user.Id, null, HttpContext.RequestAborted);
        await log.RecordAsync(user.Id, suspend ? SecurityActions.Suspended : SecurityActions.Unsuspended, actor: _admin);
        Flash = suspend ? $"Suspended {user.UserName}: signed out everywhere, tokens refused." : $"Unsuspended {user.UserName}.";
        return RedirectToPage();
    }
}
