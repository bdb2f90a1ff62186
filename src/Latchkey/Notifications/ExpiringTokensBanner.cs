using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Notifications;

/// <summary>How many of a user's tokens expire within a week: the site shows a banner while any do.</summary>
public sealed class ExpiringTokensBanner(LatchkeyDb db, TimeProvider clock, TokenLifetimePolicy lifetime)
{
    public async Task<int> CountAsync(long userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var horizon = now.AddDays(7);
        var tokens = await db.Tokens.AsNoTracking()
            .Where(t => t.UserId == userId && !t.IsCanary && ((t.ExpiresAt != null && t.ExpiresAt <= horizon) || lifetime.HasLifetimeLimit))
            .ToListAsync(ct);
        return tokens.Count(t => lifetime.EffectiveExpiry(t) is { } at && at > now && at <= horizon);
    }
}
