using Latchkey.Data;
using Latchkey.Repositories;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Accounts;

public enum AccountChangeOutcome
{
    Changed,

    /// <summary>Already so: nothing written (a suspension keeps its original time).</summary>
    Unchanged,

    /// <summary>An administrator may not suspend or delete their own account.</summary>
    OwnAccount,
}

public sealed record AccountChange(AccountChangeOutcome Outcome, int EndedSessions = 0);

/// <summary>
/// What a site administrator does to an account, with the same effects whichever door asks: the
/// site-admin page, the admin API, the command line. Suspension ends every session at once (tokens
/// are refused by their verifier from the next request); each change goes into the security log,
/// with the administrator as actor (null: the command line) and <c>how</c> saying which door.
/// </summary>
public sealed class AccountAdministration(LatchkeyDb db, Sessions sessions, TimeProvider clock, SecurityLogWriter log, RepositoryStore store)
{
    public async Task<AccountChange> SetSuspendedAsync(User target, bool suspend, User? actor, string? how, CancellationToken ct)
    {
        if (actor is not null && actor.Id == target.Id)
            return new AccountChange(AccountChangeOutcome.OwnAccount);
        if (target.IsSuspended == suspend)
            return new AccountChange(AccountChangeOutcome.Unchanged);
        var tracked = await db.Users.SingleAsync(u => u.Id == target.Id, ct);
        tracked.SuspendedAt = suspend ? clock.GetUtcNow().UtcDateTime : null;
        await db.SaveChangesAsync(ct);
        target.SuspendedAt = tracked.SuspendedAt;
        var ended = suspend ? await sessions.EndAllAsync(target.Id, null, ct) : 0;
        var detail = string.Join(" · ", new[] { how, suspend ? $"sessions signed out: {ended}" : null }.Where(d => d is not null));
        await log.RecordAsync(target.Id, suspend ? SecurityActions.Suspended : SecurityActions.Unsuspended, detail, actor: actor, ct: ct);
        return new AccountChange(AccountChangeOutcome.Changed, ended);
    }

    public async Task<AccountChange> EndSessionsAsync(User target, User? actor, CancellationToken ct)
    {
        var ended = await sessions.EndAllAsync(target.Id, null, ct);
        await log.RecordAsync(target.Id, SecurityActions.SessionsEndedByAdmin, $"Sessions ended: {ended}", actor: actor, ct: ct);
        return new AccountChange(AccountChangeOutcome.Changed, ended);
    }

    /// <summary>Deletes the account, its repositories (records and bare repositories) and the invitations it sent.</summary>
    public async Task<(AccountChange Change, int Repositories)> DeleteAsync(User target, User actor, CancellationToken ct)
    {
        if (actor.Id == target.Id)
            return (new AccountChange(AccountChangeOutcome.OwnAccount), 0);
        var repos = await db.Repositories.Where(r => r.OwnerId == target.Id).ToListAsync(ct);
        await db.Invitations.Where(i => i.InviterId == target.Id).ExecuteDeleteAsync(ct);
        db.Users.Remove(await db.Users.SingleAsync(u => u.Id == target.Id, ct));
        await db.SaveChangesAsync(ct);
        foreach (var repo in repos)
            store.Delete(repo);
        // The account's own log goes with it; the administrator's keeps the deletion.
        await log.RecordAsync(actor.Id, SecurityActions.UserDeleted, $"Deleted the account {target.UserName} (id {target.Id}) and its {repos.Count} repositories", actor: actor, ct: ct);
        return (new AccountChange(AccountChangeOutcome.Changed), repos.Count);
    }

    public Task<User?> FindAsync(string username, CancellationToken ct)
    {
        var normalized = UsernameRules.Normalize(username);
        return db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
    }
}
