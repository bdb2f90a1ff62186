using Latchkey.Accounts;
using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Repositories;

public enum InviteOutcome
{
    Invited,
    RoleChanged,
    NoSuchUser,
    IsOwner,
}

/// <summary>Collaborators and invitations, the same for the web and the API. Rights flow through AccessPolicy.</summary>
public sealed class RepositoryCollaborators(LatchkeyDb db, TimeProvider clock)
{
    public async Task<(InviteOutcome Outcome, RepositoryInvitation? Invitation)> InviteAsync(Repository repo, User inviter, string username, CollaboratorRole role, CancellationToken ct)
    {
        var normalized = UsernameRules.Normalize(username.Trim());
        var invitee = await db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
        if (invitee is null)
            return (InviteOutcome.NoSuchUser, null);
        if (invitee.Id == repo.OwnerId)
            return (InviteOutcome.IsOwner, null);
        var existing = await db.Collaborators.SingleOrDefaultAsync(c => c.RepositoryId == repo.Id && c.UserId == invitee.Id, ct);
        if (existing is not null)
        {
            existing.Permission = role;
            await db.SaveChangesAsync(ct);
            return (InviteOutcome.RoleChanged, null);
        }
        var invitation = await db.Invitations.SingleOrDefaultAsync(i => i.RepositoryId == repo.Id && i.InviteeId == invitee.Id, ct);
        if (invitation is null)
        {
            invitation = new RepositoryInvitation { RepositoryId = repo.Id, InviteeId = invitee.Id, InviterId = inviter.Id, CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.Invitations.Add(invitation);
        }
        invitation.Permission = role;
        await db.SaveChangesAsync(ct);
        invitation.Repository = repo;
        invitation.Invitee = invitee;
        invitation.Inviter = inviter;
        return (InviteOutcome.Invited, invitation);
    }

    /// <summary>Accepts or declines the user's own invitation; false when there is no such invitation of theirs.</summary>
    public async Task<bool> AnswerAsync(long userId, long invitationId, bool accept, CancellationToken ct)
    {
        var invitation = await db.Invitations.SingleOrDefaultAsync(i => i.Id == invitationId && i.InviteeId == userId, ct);
        if (invitation is null)
            return false;
        if (accept)
        {
            db.Collaborators.Add(new Collaborator
            {
                RepositoryId = invitation.RepositoryId,
                UserId = invitation.InviteeId,
                Permission = invitation.Permission,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            });
        }
        db.Invitations.Remove(invitation);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Removes a collaborator or their pending invitation; false when the user does not exist.</summary>
    public async Task<bool> RemoveAsync(Repository repo, string username, CancellationToken ct)
    {
        var normalized = UsernameRules.Normalize(username);
        var userId = await db.Users.Where(u => u.NormalizedUserName == normalized).Select(u => (long?)u.Id).SingleOrDefaultAsync(ct);
        if (userId is null)
            return false;
        await db.Collaborators.Where(c => c.RepositoryId == repo.Id && c.UserId == userId).ExecuteDeleteAsync(ct);
        await db.Invitations.Where(i => i.RepositoryId == repo.Id && i.InviteeId == userId).ExecuteDeleteAsync(ct);
        // Their fine-grained tokens lose the repository too, so a later invitation does not revive old access.
        await db.Set<Tokens.TokenRepository>()
            .Where(r => r.RepositoryId == repo.Id && db.Tokens.Any(t => t.Id == r.TokenId && t.UserId == userId))
            .ExecuteDeleteAsync(ct);
        return true;
    }

    public Task<List<Collaborator>> ListAsync(Repository repo, CancellationToken ct) =>
        db.Collaborators.AsNoTracking().Include(c => c.User).Where(c => c.RepositoryId == repo.Id).OrderBy(c => c.User!.NormalizedUserName).ToListAsync(ct);

    public Task<List<RepositoryInvitation>> PendingForRepositoryAsync(Repository repo, CancellationToken ct) =>
        Invitations().Where(i => i.RepositoryId == repo.Id).ToListAsync(ct);

    public Task<List<RepositoryInvitation>> PendingForUserAsync(long userId, CancellationToken ct) =>
        Invitations().Where(i => i.InviteeId == userId).ToListAsync(ct);

    private IQueryable<RepositoryInvitation> Invitations() =>
        db.Invitations.AsNoTracking()
            .Include(i => i.Repository).ThenInclude(r => r!.Owner)
            .Include(i => i.Repository).ThenInclude(r => r!.Collaborators)
            .Include(i => i.Invitee)
            .Include(i => i.Inviter)
            .OrderBy(i => i.Id);
}
