using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

public enum TokenCheckResult
{
    Valid,
    Malformed,
    Unknown,
    Expired,
    OwnerSuspended,
}

public sealed record TokenCheck(TokenCheckResult Result, PersonalAccessToken? Token = null, User? User = null);

/// <summary>Issues, verifies and deletes personal access tokens.</summary>
public sealed class TokenService(LatchkeyDb db, TokenDigest digest, TimeProvider clock, SecurityLogWriter log)
{
    /// <summary>How stale "last used" may get before a use writes it again (coalesces writes on busy tokens).</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Creates a token; the returned plaintext must be shown once and then forgotten.</summary>
    public async Task<(PersonalAccessToken Token, string Plaintext)> CreateClassicAsync(
        long userId, string note, IEnumerable<string> scopes, DateTime? expiresAt, CancellationToken ct)
    {
        var plaintext = TokenFormat.Generate(TokenKind.Classic);
        var token = new PersonalAccessToken
        {
            UserId = userId,
            Kind = TokenKind.Classic,
            Note = note,
            Digest = digest.Compute(plaintext),
            LastEight = plaintext[^8..],
            Scopes = Tokens.Scopes.Join(Tokens.Scopes.Normalise(scopes)),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt,
        };
        db.Tokens.Add(token);
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenCreated, Describe(token), token: token, ct: ct);
        return (token, plaintext);
    }

    public async Task<TokenCheck> VerifyAsync(string presented, string? ip, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(presented, out _))
            return new TokenCheck(TokenCheckResult.Malformed);

        // The lookup key is an HMAC of the presented token, so the index comparison leaks nothing usable.
        var key = digest.Compute(presented);
        var token = await db.Tokens.AsNoTracking().Include(t => t.User).SingleOrDefaultAsync(t => t.Digest == key, ct);
        if (token?.User is null)
            return new TokenCheck(TokenCheckResult.Unknown);

        var now = clock.GetUtcNow().UtcDateTime;
        if (token.IsExpired(now))
        {
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" used after it expired", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.Expired, token, token.User);
        }
        if (token.User.IsSuspended)
        {
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" used while the account is suspended", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.OwnerSuspended, token, token.User);
        }

        if (token.LastUsedAt is not { } last || now - last >= LastUsedResolution || token.LastUsedIp != ip)
        {
            await db.Tokens.Where(t => t.Id == token.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now).SetProperty(t => t.LastUsedIp, ip), ct);
        }
        return new TokenCheck(TokenCheckResult.Valid, token, token.User);
    }

    public Task<List<PersonalAccessToken>> ListAsync(long userId, TokenKind kind, CancellationToken ct) =>
        db.Tokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.Kind == kind)
            .OrderByDescending(t => t.Id)
            .ToListAsync(ct);

    /// <summary>Deletes the user's own token; false when there is no such token of theirs.</summary>
    public async Task<bool> DeleteAsync(long userId, long tokenId, CancellationToken ct)
    {
        var token = await db.Tokens.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null || await db.Tokens.Where(t => t.Id == tokenId && t.UserId == userId).ExecuteDeleteAsync(ct) == 0)
            return false;
        await log.RecordAsync(userId, SecurityActions.TokenDeleted, Describe(token), token: token, ct: ct);
        return true;
    }

    /// <summary>How a token appears in the security log: note, scopes and expiry, never the secret.</summary>
    private static string Describe(PersonalAccessToken token) =>
        $"\"{token.Note}\" · scopes: {(token.Scopes.Length == 0 ? "none" : token.Scopes)} · " +
        (token.ExpiresAt is { } at ? "expires " + at.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "no expiration");
}
