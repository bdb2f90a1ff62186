using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

/// <summary>The site's token policy as stored: one row (Id 1); no row means the initial policy from configuration.</summary>
public sealed class TokenPolicyRecord
{
    public int Id { get; set; } = 1;
    public bool ClassicAllowed { get; set; } = true;
    public int? ClassicMaxLifetimeDays { get; set; }
    public bool ClassicExpiryRequired { get; set; }
    public int? FineGrainedMaxLifetimeDays { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long? UpdatedById { get; set; }

    public TokenPolicy ToPolicy() => new(ClassicAllowed, ClassicMaxLifetimeDays, ClassicExpiryRequired, FineGrainedMaxLifetimeDays);
}

/// <summary>
/// Reads and writes the site's token policy. A write raises the credential epoch (a database
/// trigger on TokenPolicies), and every node reads the policy again when it sees a newer epoch:
/// token requests at the epoch read they make anyway (<see cref="TokenVerifier"/>), web pages
/// before their handler (<see cref="TokenPolicyPageFilter"/>). So a change made on one node holds
/// on every node at its next request.
/// </summary>
public sealed class TokenPolicies(LatchkeyDb db, IHotReads hot, TokenLifetimePolicy lifetime, SecurityLogWriter log, TimeProvider clock)
{
    public async Task<TokenPolicy> CurrentAsync(CancellationToken ct)
    {
        await RefreshAsync(ct);
        return lifetime.Current;
    }

    public async Task RefreshAsync(CancellationToken ct) => await RefreshAsync(await hot.CredentialEpochAsync(ct), ct);

    /// <summary>Reads the policy again when <paramref name="epoch"/> (just read) is newer than the one it was last read at.</summary>
    public async Task RefreshAsync(long epoch, CancellationToken ct)
    {
        if (lifetime.IsCurrentAt(epoch))
            return;
        var row = await db.Set<TokenPolicyRecord>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == 1, ct);
        lifetime.Apply(epoch, row?.ToPolicy() ?? lifetime.Initial);
    }

    /// <summary>Checks a policy before it is saved; null when it is valid, else the field and why.</summary>
    public static (string Field, string Message)? Validate(TokenPolicy policy)
    {
        if (policy.ClassicMaxLifetimeDays is < 1 or > TokenPolicy.MaxDays)
            return ("classic.max_lifetime_days", "classic.max_lifetime_days must be a whole number of days from 1 to 366, or null for no limit.");
        if (policy.FineGrainedMaxLifetimeDays is < 1 or > TokenPolicy.MaxDays)
            return ("fine_grained.max_lifetime_days", "fine_grained.max_lifetime_days must be a whole number of days from 1 to 366, or null for no limit.");
        return null;
    }

    /// <summary>Saves the policy (valid, see <see cref="Validate"/>) and logs what changed in the administrator's security log.</summary>
    public async Task<TokenPolicy> SaveAsync(TokenPolicy policy, User administrator, CancellationToken ct)
    {
        var before = await CurrentAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = db.Set<TokenPolicyRecord>();
        var updated = await rows.Where(p => p.Id == 1).ExecuteUpdateAsync(set => set
            .SetProperty(p => p.ClassicAllowed, policy.ClassicAllowed)
            .SetProperty(p => p.ClassicMaxLifetimeDays, policy.ClassicMaxLifetimeDays)
            .SetProperty(p => p.ClassicExpiryRequired, policy.ClassicExpiryRequired)
            .SetProperty(p => p.FineGrainedMaxLifetimeDays, policy.FineGrainedMaxLifetimeDays)
            .SetProperty(p => p.UpdatedAt, now)
            .SetProperty(p => p.UpdatedById, administrator.Id), ct);
        if (updated == 0)
        {
            rows.Add(new TokenPolicyRecord
            {
                ClassicAllowed = policy.ClassicAllowed,
                ClassicMaxLifetimeDays = policy.ClassicMaxLifetimeDays,
                ClassicExpiryRequired = policy.ClassicExpiryRequired,
                FineGrainedMaxLifetimeDays = policy.FineGrainedMaxLifetimeDays,
                UpdatedAt = now,
                UpdatedById = administrator.Id,
            });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another administrator made the row at the same moment: this change is the later one.
                db.ChangeTracker.Clear();
                return await SaveAsync(policy, administrator, ct);
            }
        }
        var changes = Describe(before, policy);
        if (changes.Length > 0)
            await log.RecordAsync(administrator.Id, SecurityActions.TokenPolicyUpdated, "Site token policy: " + changes, ct: ct);
        await RefreshAsync(ct);
        return lifetime.Current;
    }

    /// <summary>What changed, in words ("classic tokens disabled; fine-grained maximum lifetime 366 → 90 days").</summary>
    public static string Describe(TokenPolicy before, TokenPolicy after)
    {
        var parts = new List<string>();
        if (before.ClassicAllowed != after.ClassicAllowed)
            parts.Add(after.ClassicAllowed ? "classic tokens allowed" : "classic tokens disabled");
        if (before.ClassicMaxLifetimeDays != after.ClassicMaxLifetimeDays)
            parts.Add($"classic maximum lifetime {Days(before.ClassicMaxLifetimeDays)} → {Days(after.ClassicMaxLifetimeDays)}");
        if (before.ClassicExpiryRequired != after.ClassicExpiryRequired)
            parts.Add(after.ClassicExpiryRequired ? "classic tokens must expire" : "classic tokens may have no expiration");
        if (before.FineGrainedMaxLifetimeDays != after.FineGrainedMaxLifetimeDays)
            parts.Add($"fine-grained maximum lifetime {Days(before.FineGrainedMaxLifetimeDays)} → {Days(after.FineGrainedMaxLifetimeDays)}");
        return string.Join("; ", parts);
    }

    private static string Days(int? days) => days is { } d ? $"{d} days" : "no limit";
}
