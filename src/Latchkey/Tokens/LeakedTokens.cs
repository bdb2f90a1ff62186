using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

/// <summary>
/// Tokens found where they should not be (a push, a file written through the API, a leak report):
/// recognised by their plaintext, revoked at once, the owner told in the security log and by mail.
/// </summary>
public sealed class LeakedTokens(LatchkeyDb db, TokenDigest digest, TimeProvider clock, TokenLifetimePolicy lifetime, TokenPolicies policies, SecurityLogWriter log,
    Notifications.Mailer mailer, CanaryTokens canaries, ILogger<LeakedTokens> logger)
{
    /// <summary>
    /// The stored token behind a plaintext, if it exists and has not expired. A canary is reported
    /// (<paramref name="where"/>: where it was found) and is as absent as an unknown token.
    /// </summary>
    public async Task<PersonalAccessToken?> FindLiveAsync(string presented, string where, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(presented, out _))
            return null;
        await policies.RefreshAsync(ct);
        var token = await TokenVerifier.FindByDigestAsync(db, digest.Compute(presented), ct);
        if (token is { IsCanary: true })
        {
            await canaries.TripAsync(token, where, ct);
            return null;
        }
        return token is not null && (lifetime.EffectiveExpiry(token) is not { } expiry || clock.GetUtcNow().UtcDateTime < expiry) ? token : null;
    }

    /// <summary>
    /// Push protection for what the server is asked to write (the contents and Git data APIs): every
    /// live token in <paramref name="text"/> is revoked, the reason naming <paramref name="where"/>;
    /// true when one was found, and the write must then be refused.
    /// </summary>
    public async Task<bool> RevokeLiveInAsync(string text, string where, CancellationToken ct)
    {
        var leaked = new List<PersonalAccessToken>();
        foreach (System.Text.RegularExpressions.Match match in TokenFormat.Shape().Matches(text))
        {
            if (await FindLiveAsync(match.Value, where, ct) is { } token && leaked.All(t => t.Id != token.Id))
                leaked.Add(token);
        }
        foreach (var token in leaked)
            await RevokeAsync(token, $"found by push protection in {where}", ct);
        return leaked.Count > 0;
    }

    /// <summary>
    /// Revokes a token that leaked, saying where it was found in its owner's security log. The reason
    /// names the place with every token in it masked: it goes into the log row and the mail, and a
    /// revoked token's plaintext is kept nowhere.
    /// </summary>
    public async Task RevokeAsync(PersonalAccessToken token, string reason, CancellationToken ct)
    {
        reason = TokenFormat.Redact(reason);
        if (await db.Tokens.Where(t => t.Id == token.Id).ExecuteRevokeAsync(clock.GetUtcNow().UtcDateTime, ct) == 0)
            return;
        await log.RecordAsync(token.UserId, SecurityActions.TokenRevoked, $"{TokenIssuer.Describe(token)} · {reason}", succeeded: false, token: token, ct: ct);
        // The owner hears of it by mail too: a leaked token means something to change.
        if (token.User is { Email: { } email } owner)
        {
            try
            {
                await mailer.SendAsync(owner.UserName!, email, $"[Latchkey] Your personal access token \"{token.Note}\" was revoked",
                $"Hi {owner.UserName},\n\nYour {(token.Kind == TokenKind.Classic ? "personal access token (classic)" : "fine-grained personal access token")} \"{token.Note}\" (…{token.LastEight}) was revoked because it was {reason}.\n\n" +
                "It no longer works. Anyone who saw it can no longer use it. If you still need a token, create a new one under\n" +
                "Settings > Developer settings > Personal access tokens, and keep it out of files you commit.\n", ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The revocation stands whatever the mail server does; the security log already says it.
                logger.LogError(e, "Could not mail the owner of revoked token {TokenId}", token.Id);
            }
        }
    }
}
