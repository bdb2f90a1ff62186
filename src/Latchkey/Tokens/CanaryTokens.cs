using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

/// <summary>
/// Canary tokens (issue #18): made like real tokens and shown once, so nobody can tell them apart,
/// but they authorize nothing. Wherever one is presented — git, the API, Git LFS, a leak report, a
/// pushed file — the door answers exactly as for an unknown token, and this records the trip: the
/// owner's security log (who, from where, what was attempted), the canary's count, and a mail.
/// </summary>
public sealed class CanaryTokens(LatchkeyDb db, TokenDigest digest, TimeProvider clock, SecurityLogWriter log,
    Notifications.Mailer mailer, ILogger<CanaryTokens> logger)
{
    /// <summary>However often a canary is presented, its owner gets at most one mail in this time (every trip is logged).</summary>
    public static readonly TimeSpan MailInterval = TimeSpan.FromMinutes(10);

    /// <summary>Only site administrators make site canaries (the page says so before it asks).</summary>
    public const string SiteCanaryRefusal = "Only site administrators can make site canaries.";

    /// <param name="site">A site canary: every site administrator is mailed when it is tripped (the owner must be one).</param>
    public async Task<(PersonalAccessToken Token, string Plaintext)> CreateAsync(User owner, string note, TokenKind kind, CancellationToken ct, bool site = false)
    {
        if (site && !owner.IsSiteAdmin)
            throw new InvalidOperationException(SiteCanaryRefusal);
        var plaintext = TokenFormat.Generate(kind);
        var now = clock.GetUtcNow().UtcDateTime;
        var token = new PersonalAccessToken
        {
            UserId = owner.Id,
            Kind = kind,
            Note = note,
            Digest = digest.Compute(plaintext),
            LastEight = plaintext[^8..],
            HashedToken = TokenFormat.Hashed(plaintext),
            CreatedAt = now,
            SecretHandoverUntil = now + TokenIssuer.HandoverWindow,
            RepositoryAccess = RepositoryAccess.PublicOnly,
            IsCanary = true,
            IsSiteCanary = site,
        };
        db.Tokens.Add(token);
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(owner.Id, SecurityActions.CanaryCreated, $"{(site ? "Site canary" : "Canary")} token \"{note}\" (…{token.LastEight})", token: token, ct: ct);
        return (token, plaintext);
    }

    public Task<List<PersonalAccessToken>> ListAsync(long userId, CancellationToken ct) =>
        db.Tokens.AsNoTracking().Where(t => t.UserId == userId && t.IsCanary).OrderByDescending(t => t.Id).ToListAsync(ct);

    public async Task<bool> DeleteAsync(long userId, long id, CancellationToken ct)
    {
        var token = await db.Tokens.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id && t.UserId == userId && t.IsCanary, ct);
        if (token is null || await db.Tokens.Where(t => t.Id == id).ExecuteDeleteAsync(ct) == 0)
            return false;
        await log.RecordAsync(userId, SecurityActions.TokenDeleted, $"Canary token \"{token.Note}\" (…{token.LastEight})", token: token, ct: ct);
        return true;
    }

    /// <summary>A canary was presented: <paramref name="attempted"/> says what with ("GET /api/v3/user", "a push to o/r").</summary>
    public async Task TripAsync(PersonalAccessToken canary, string attempted, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var previous = canary.CanaryLastTrippedAt;
        await db.Tokens.Where(t => t.Id == canary.Id).ExecuteUpdateAsync(set => set
            .SetProperty(t => t.CanaryTrips, t => t.CanaryTrips + 1)
            .SetProperty(t => t.CanaryLastTrippedAt, now), ct);
        attempted = TokenFormat.Redact(attempted);
        var where = log.Where();
        var detail = $"Canary token \"{canary.Note}\" (…{canary.LastEight}) was presented: {attempted}, from {where.Address ?? "an unknown address"}" +
            (where.UserAgent is { Length: > 0 } agent ? $" ({agent})" : "");
        await log.RecordAsync(canary.UserId, SecurityActions.CanaryTripped, detail, succeeded: false, token: canary, ct: ct);
        if (previous is { } last && now - last < MailInterval)
            return;
        var owner = canary.User ?? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == canary.UserId, ct);
        // A site canary tells every site administrator; any other canary its owner.
        var recipients = canary.IsSiteCanary
            ? await db.Users.AsNoTracking().Where(u => u.IsSiteAdmin && u.SuspendedAt == null && u.Email != null).OrderBy(u => u.Id).ToListAsync(ct)
            : owner is null ? [] : [owner];
        foreach (var recipient in recipients.Where(r => r.Email is not null))
        {
            try
            {
                var whose = canary.IsSiteCanary ? $"the site canary token \"{canary.Note}\" (…{canary.LastEight}, made by {owner?.UserName})" : $"your canary token \"{canary.Note}\" (…{canary.LastEight})";
                await mailer.SendAsync(recipient.UserName!, recipient.Email!,
                    canary.IsSiteCanary ? $"[Latchkey] The site canary token \"{canary.Note}\" was used" : $"[Latchkey] Your canary token \"{canary.Note}\" was used",
                    $"Hi {recipient.UserName},\n\nSomeone presented {whose} at {now:yyyy-MM-dd HH:mm:ss} UTC.\n\n" +
                    $"What was attempted: {attempted}\nFrom: {where.Address ?? "an unknown address"}\nUser agent: {where.UserAgent ?? "none"}\n\n" +
                    $"The canary authorized nothing: it was answered as an unknown token. Wherever {(canary.IsSiteCanary ? "it was placed" : "you placed it")} has been read by someone.\n" +
                    (canary.IsSiteCanary ? "Every use is in the site's security log (Site admin > Security log).\n" : "Every use is in your security log (Settings > Security log).\n"), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The trip is in the security log whatever the mail server does.
                logger.LogError(e, "Could not mail about canary token {TokenId}", canary.Id);
            }
        }
    }
}
