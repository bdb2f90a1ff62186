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

    /// <summary>A classic token while the site's token policy disables classic tokens.</summary>
    ClassicDisabled,

    /// <summary>A token with allowed networks, used from outside them.</summary>
    NetworkNotAllowed,
}

/// <param name="User">The owner, as this request's own copy (never a cached instance).</param>
public sealed record TokenCheck(TokenCheckResult Result, TokenSnapshot? Token = null, User? User = null);

/// <summary>Who is presenting a token, for "last used" and the security log.</summary>
/// <param name="Attempted">What the request was ("GET /api/v3/user"), for a canary's report.</param>
public sealed record TokenUse(string? IpAddress, string? UserAgent, System.Net.IPAddress? Address = null, string? Attempted = null);

/// <summary>
/// The hot path of every token request, and nothing else: parse and checksum, digest, the epoch,
/// the cache or one indexed lookup, expiry and suspension, a coalesced "last used" write, the network it came from.
/// </summary>
public sealed class TokenVerifier(LatchkeyDb db, TokenDigest digest, TimeProvider clock, TokenLifetimePolicy lifetime, SecurityLogWriter log,
    TokenCache cache, IHotReads hot, TokenPolicies policies, CanaryTokens canaries, NewNetworkAlerts networks)
{
    /// <summary>How stale "last used" may get before a use writes it again (coalesces writes on busy tokens).</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<TokenCheck> VerifyAsync(string presented, TokenUse use, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(presented, out _))
            return new TokenCheck(TokenCheckResult.Malformed);

        // The lookup key is an HMAC of the presented token, so the index comparison leaks nothing usable.
        var key = digest.Compute(presented);
        // The epoch first: a change committed after this read shows as a newer epoch next time.
        var epoch = await hot.CredentialEpochAsync(ct);
        // The site's token policy raises the same epoch: read again only when it moved.
        await policies.RefreshAsync(epoch, ct);
        var entry = cache.Find(key, epoch);
        if (entry is null)
        {
            var found = await FindByDigestAsync(db, key, ct);
            if (found?.User is null)
                return new TokenCheck(TokenCheckResult.Unknown);
            // A canary is never cached: each presentation is reported, and answered as an unknown token.
            if (found.IsCanary)
            {
                await canaries.TripAsync(found, use.Attempted ?? "a request", ct);
                return new TokenCheck(TokenCheckResult.Unknown);
            }
            entry = new TokenCache.Entry(TokenSnapshot.Of(found), found.User);
            cache.Keep(key, epoch, entry);
        }
        var token = entry.Token;
        var owner = entry.User.Copy();

        var now = clock.GetUtcNow().UtcDateTime;
        if (lifetime.EffectiveExpiry(token) is { } expiry && now >= expiry)
        {
            var why = token.ExpiresAt == expiry ? "used after it expired" : $"used after the site's {lifetime.Current.MaxLifetimeDays(token.Kind)}-day limit on token lifetimes";
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" {why}", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.Expired, token, owner);
        }
        if (owner.IsSuspended)
        {
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" used while the account is suspended", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.OwnerSuspended, token, owner);
        }
        if (token.Kind == TokenKind.Classic && !lifetime.Current.ClassicAllowed)
        {
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" used while the site's token policy disables classic tokens", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.ClassicDisabled, token, owner);
        }
        var address = use.Address ?? ParseAddress(use.IpAddress);
        if (!AllowedNetworks.Allows(token.AllowedNetworks, address))
        {
            await log.RecordAsync(token.UserId, SecurityActions.TokenNetworkRefused,
                $"\"{token.Note}\" used from {use.IpAddress ?? "an unknown address"}, outside its allowed networks", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.NetworkNotAllowed, token, owner);
        }

        // At most one write a minute per token (per node), however busy it is.
        if (entry.ClaimLastUsedWrite(now, LastUsedResolution))
        {
            var agent = use.UserAgent is { Length: > 256 } longAgent ? longAgent[..256] : use.UserAgent;
            await db.Tokens.Where(t => t.Id == token.Id).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.LastUsedAt, now)
                .SetProperty(t => t.LastUsedIp, use.IpAddress)
                .SetProperty(t => t.LastUsedUserAgent, agent), ct);
        }
        // A rotated token's uses in its overlap are what its owner needs to see to retire it (the first, then at most one a minute per node).
        if (token.RotatedAt is not null && entry.ClaimOverlapLog(now, LastUsedResolution))
            await log.RecordAsync(token.UserId, SecurityActions.TokenUsedInOverlap, $"\"{token.Note}\" used after it was rotated, in its overlap", token: token, ct: ct);
        // Where it is used from: an in-memory check unless the network is new to this node (its owner may get a mail) or its "last seen" is due.
        await networks.SeeAsync(entry, owner, use, address, now, ct);
        return new TokenCheck(TokenCheckResult.Valid, token, owner);
    }

    /// <summary>
    /// A token already verified earlier in an exchange, asked about again by its id (a Git LFS transfer
    /// link names the token its batch request was made with): still there, not expired, its owner not
    /// suspended. Revoking or deleting the token refuses the links it was given at once.
    /// </summary>
    public async Task<TokenCheck> RecheckAsync(long tokenId, System.Net.IPAddress? address, CancellationToken ct)
    {
        await policies.RefreshAsync(ct);
        var found = await db.Tokens.AsNoTracking().Include(t => t.User).Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId, ct);
        if (found?.User is null)
            return new TokenCheck(TokenCheckResult.Unknown);
        var token = TokenSnapshot.Of(found);
        if (lifetime.EffectiveExpiry(token) is { } expiry && clock.GetUtcNow().UtcDateTime >= expiry)
            return new TokenCheck(TokenCheckResult.Expired, token, found.User);
        if (found.User.IsSuspended)
            return new TokenCheck(TokenCheckResult.OwnerSuspended, token, found.User);
        if (token.Kind == TokenKind.Classic && !lifetime.Current.ClassicAllowed)
            return new TokenCheck(TokenCheckResult.ClassicDisabled, token, found.User);
        if (!AllowedNetworks.Allows(token.AllowedNetworks, address))
            return new TokenCheck(TokenCheckResult.NetworkNotAllowed, token, found.User);
        return new TokenCheck(TokenCheckResult.Valid, token, found.User);
    }

    /// <summary>What every door says to a valid token refused by the site's or the token's own policy; null for other results.</summary>
    public static string? PolicyRefusal(TokenCheckResult result) => result switch
    {
        TokenCheckResult.ClassicDisabled => TokenPolicy.ClassicDisabledMessage,
        TokenCheckResult.NetworkNotAllowed => AllowedNetworks.RefusedMessage,
        _ => null,
    };

    private static System.Net.IPAddress? ParseAddress(string? text) =>
        text is not null && System.Net.IPAddress.TryParse(text, out var address) ? address : null;

    /// <summary>The one lookup of a token by its digest, with its owner and selected repositories (untracked).</summary>
    public static Task<PersonalAccessToken?> FindByDigestAsync(LatchkeyDb db, byte[] key, CancellationToken ct) =>
        db.Tokens.AsNoTracking().Include(t => t.User).Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Digest == key, ct);
}
