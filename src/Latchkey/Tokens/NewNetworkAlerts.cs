using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

/// <summary>What a revoke link names: the token, the sighting it was mailed about, and the secret it was for.</summary>
/// <param name="SecretStamp">The token's <c>hashed_token</c> (its last eight for older tokens): a regenerated token is not the one the mail was about.</param>
public sealed record RevokeLink(long TokenId, long SightingId, string SecretStamp, DateTime ExpiresAt);

/// <summary>What a presented revoke link turned out to be.</summary>
public enum RevokeLinkState
{
    Valid,

    /// <summary>Missing, cut, tampered with, or sealed with keys this site does not hold.</summary>
    Invalid,
    Expired,

    /// <summary>The token is gone: the link was used, or the token was deleted another way.</summary>
    Used,

    /// <summary>The token was regenerated since the mail: its new secret is not what the mail was about.</summary>
    Regenerated,
}

/// <summary>A revoke link read against the database: the token and the sighting when it is still good.</summary>
public sealed record RevokeLinkCheck(RevokeLinkState State, PersonalAccessToken? Token = null, TokenNetworkSighting? Sighting = null);

/// <summary>
/// The networks each token is used from, and the owner's mail when one is new (issue #18). The hot
/// path (<see cref="SeeAsync"/>) asks the token's cache entry first: a network this node has recorded
/// for the token costs an in-memory lookup; only its first use per node (and a "last seen" write at
/// most once a minute) reaches the database. The first network a token is used from is its baseline
/// (no mail: every new token would mail at its first use); each later one mails the owner once, with
/// a signed, expiring link that revokes the token, and goes into the security log. Canaries never
/// get here: the verifier answers them as unknown tokens before.
/// </summary>
public sealed class NewNetworkAlerts(LatchkeyDb db, TimeProvider clock, SecurityLogWriter log, Notifications.Mailer mailer,
    Notifications.SiteUrl site, IDataProtectionProvider protection, ILogger<NewNetworkAlerts> logger)
{
    /// <summary>How stale a network's "last seen" may get before a use writes it again (per token, network and node).</summary>
    public static readonly TimeSpan LastSeenResolution = TimeSpan.FromMinutes(1);

    /// <summary>How long the mail's revoke link works.</summary>
    public static readonly TimeSpan RevokeLinkLifetime = TimeSpan.FromDays(7);

    /// <summary>The page the mail's link opens; the link is its query string <c>t</c>.</summary>
    public const string RevokePage = "/settings/tokens/revoke-from-alert";

    /// <summary>Longer than any link this site makes; anything longer is refused unread.</summary>
    public const int MaxLinkLength = 1024;

    /// <summary>How many networks a token's page lists.</summary>
    public const int ListedNetworks = 50;

    private readonly IDataProtector _protector = protection.CreateProtector("Latchkey.Tokens.NewNetworkRevokeLink.v1");

    /// <summary>A valid use of <paramref name="entry"/>'s token from <paramref name="use"/>'s address, on the hot path.</summary>
    public Task SeeAsync(TokenCache.Entry entry, User owner, TokenUse use, System.Net.IPAddress? address, DateTime now, CancellationToken ct)
    {
        if (TokenNetworks.NetworkOf(address) is not { } network)
            return Task.CompletedTask;
        return entry.SeeNetwork(network, now, LastSeenResolution) switch
        {
            TokenCache.NetworkSight.New => RecordAsync(entry, owner, network, Agent(use.UserAgent), now, ct),
            TokenCache.NetworkSight.Due => TouchAsync(entry.Token.Id, network, Agent(use.UserAgent), now, ct),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>The token's networks for its page, newest first.</summary>
    public Task<List<TokenNetworkSighting>> ListAsync(long tokenId, CancellationToken ct) =>
        db.TokenNetworkSightings.AsNoTracking().Where(s => s.TokenId == tokenId)
            .OrderByDescending(s => s.FirstSeenAt).ThenByDescending(s => s.Id).Take(ListedNetworks).ToListAsync(ct);

    public Task<int> CountAsync(long tokenId, CancellationToken ct) =>
        db.TokenNetworkSightings.CountAsync(s => s.TokenId == tokenId, ct);

    private async Task RecordAsync(TokenCache.Entry entry, User owner, string network, string? agent, DateTime now, CancellationToken ct)
    {
        var token = entry.Token;
        int inserted;
        try
        {
            // One statement that cannot collide: another node or request recording the same network
            // at once inserts nothing here, and only the inserter goes on to the mail.
            inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "TokenNetworkSightings" ("TokenId", "Network", "FirstSeenAt", "LastSeenAt", "LastUserAgent")
                VALUES ({token.Id}, {network}, {now}, {now}, {agent})
                ON CONFLICT ("TokenId", "Network") DO NOTHING
                """, ct);
            if (inserted == 0)
            {
                await TouchAsync(token.Id, network, agent, now, ct);
                return;
            }
        }
        catch (DbException e)
        {
            // The use itself was valid (the token may have been deleted a moment ago): it is answered
            // as such, and the next use from this network tries again.
            entry.ForgetNetwork(network);
            logger.LogWarning(e, "Could not record a network for token {TokenId}", token.Id);
            return;
        }

        var sighting = await db.TokenNetworkSightings.AsNoTracking().Where(s => s.TokenId == token.Id && s.Network == network)
            .Select(s => new { s.Id }).SingleOrDefaultAsync(ct);
        // The token's first network is its baseline; and of two nodes alerting on one sighting, one claims it.
        if (sighting is null
            || !await db.TokenNetworkSightings.AnyAsync(s => s.TokenId == token.Id && s.Id < sighting.Id, ct)
            || await db.TokenNetworkSightings.Where(s => s.Id == sighting.Id && s.AlertedAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.AlertedAt, now), ct) != 1)
            return;

        logger.LogInformation("Token {TokenId} was used from a new network, {Network}", token.Id, network);
        await log.RecordAsync(token.UserId, SecurityActions.TokenNewNetwork,
            $"\"{token.Note}\" used from a new network, {network}" + (agent is { Length: > 0 } ? $" ({agent})" : "") + "; its owner was told by mail",
            token: token, ct: ct);
        if (owner.Email is not { Length: > 0 } email)
            return;
        var link = $"{site.Base()}{RevokePage}?t={Seal(new RevokeLink(token.Id, sighting.Id, StampOf(token), now + RevokeLinkLifetime))}";
        var page = token.Kind == TokenKind.Classic ? $"/settings/tokens/{token.Id}" : $"/settings/personal-access-tokens/{token.Id}";
        var kind = token.Kind == TokenKind.Classic ? "personal access token (classic)" : "fine-grained personal access token";
        try
        {
            await mailer.SendAsync(owner.UserName!, email, $"[Latchkey] Your personal access token \"{token.Note}\" was used from a new network",
                $"Hi {owner.UserName},\n\nYour {kind} \"{token.Note}\" (…{token.LastEight}) was used from a network it had not been used from before.\n\n" +
                $"Time: {now.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}\nNetwork: {network}\nUser agent: {agent ?? "none"}\n\n" +
                "If this was you or a machine of yours (a new office, a VPN, a CI runner), there is nothing to do.\n\n" +
                $"If it was not, revoke the token now (the page asks you to confirm; the link works once, for {RevokeLinkLifetime.TotalDays:0} days):\n{link}\n\n" +
                $"The networks the token has been used from are on its page:\n{site.Base()}{page}\n", ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The use and the security log entry stand whatever the mail server does.
            logger.LogError(e, "Could not mail the owner of token {TokenId} about a new network", token.Id);
        }
    }

    private async Task TouchAsync(long tokenId, string network, string? agent, DateTime now, CancellationToken ct)
    {
        await db.TokenNetworkSightings.Where(s => s.TokenId == tokenId && s.Network == network && s.LastSeenAt < now)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.LastSeenAt, now).SetProperty(s => s.LastUserAgent, agent), ct);
    }

    /// <summary>A revoke link's payload (the query string <c>t</c>): sealed with the site's Data Protection keys, which every node shares.</summary>
    public string Seal(RevokeLink link) => _protector.Protect(string.Join('\n', "v1",
        link.TokenId.ToString(CultureInfo.InvariantCulture), link.SightingId.ToString(CultureInfo.InvariantCulture),
        link.SecretStamp, link.ExpiresAt.Ticks.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Reads a presented link and what it names. Changes nothing (a mail scanner that fetches the
    /// link does no harm); <see cref="RevokeAsync"/> acts.
    /// </summary>
    public async Task<RevokeLinkCheck> CheckAsync(string? presented, CancellationToken ct)
    {
        if (Open(presented) is not { } link)
            return new RevokeLinkCheck(RevokeLinkState.Invalid);
        if (clock.GetUtcNow().UtcDateTime >= link.ExpiresAt)
            return new RevokeLinkCheck(RevokeLinkState.Expired);
        var token = await db.Tokens.AsNoTracking().SingleOrDefaultAsync(t => t.Id == link.TokenId && !t.IsCanary, ct);
        var sighting = token is null ? null
            : await db.TokenNetworkSightings.AsNoTracking().SingleOrDefaultAsync(s => s.Id == link.SightingId && s.TokenId == link.TokenId, ct);
        // Revoking deletes the token and its sightings with it: a used link finds nothing.
        if (token is null || sighting is null)
            return new RevokeLinkCheck(RevokeLinkState.Used);
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(StampOf(token)), System.Text.Encoding.UTF8.GetBytes(link.SecretStamp)))
            return new RevokeLinkCheck(RevokeLinkState.Regenerated, token);
        return new RevokeLinkCheck(RevokeLinkState.Valid, token, sighting);
    }

    /// <summary>The link's POST: revokes the token it names, once, as its page's delete would (logged; every node refuses it at once).</summary>
    public async Task<RevokeLinkCheck> RevokeAsync(string? presented, TokenIssuer issuer, CancellationToken ct)
    {
        var check = await CheckAsync(presented, ct);
        if (check is not { State: RevokeLinkState.Valid, Token: { } token, Sighting: { } sighting })
            return check;
        var reason = $"revoked from the link in the mail about its use from {sighting.Network}";
        return await issuer.RevokeAsync(token.UserId, token.Id, reason, ct) ? check : new RevokeLinkCheck(RevokeLinkState.Used);
    }

    private RevokeLink? Open(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > MaxLinkLength)
            return null;
        string payload;
        try
        {
            payload = _protector.Unprotect(presented);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null;
        }
        var parts = payload.Split('\n');
        if (parts is not ["v1", var tokenText, var sightingText, var stamp, var ticksText]
            || !long.TryParse(tokenText, NumberStyles.None, CultureInfo.InvariantCulture, out var tokenId)
            || !long.TryParse(sightingText, NumberStyles.None, CultureInfo.InvariantCulture, out var sightingId)
            || !long.TryParse(ticksText, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks)
            return null;
        return new RevokeLink(tokenId, sightingId, stamp, new DateTime(ticks, DateTimeKind.Utc));
    }

    private static string StampOf(ITokenRecord token) => token.HashedToken ?? token.LastEight;

    /// <summary>The client as stored and mailed: clipped, and anything token-shaped masked.</summary>
    private static string? Agent(string? userAgent)
    {
        var agent = TokenFormat.RedactOrNull(userAgent);
        if (string.IsNullOrEmpty(agent))
            return null;
        return agent.Length > TokenNetworkSighting.MaxUserAgentLength ? agent[..TokenNetworkSighting.MaxUserAgentLength] : agent;
    }
}
