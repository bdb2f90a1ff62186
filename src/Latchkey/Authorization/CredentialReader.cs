using System.Net.Http.Headers;
using System.Text;
using Latchkey.Data;
using Latchkey.Observability;
using Latchkey.SecurityLog;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Authorization;

public enum CredentialOutcome
{
    /// <summary>No Authorization header: the caller is anonymous.</summary>
    None,
    Valid,

    /// <summary>The header is not something we can read.</summary>
    Malformed,

    /// <summary>A token that is unknown, deleted, expired or mistyped.</summary>
    BadToken,

    /// <summary>A password where a token belongs: refused without checking it.</summary>
    PasswordNotSupported,

    /// <summary>A token that verifies, refused by the site's token policy or its own allowed networks (403 with <see cref="CredentialResult.Message"/>; not a failure to throttle).</summary>
    Refused,

    /// <summary>A failed credential from an address that failed too often; it must wait (<see cref="CredentialResult.RetryAfter"/>). A valid credential is never throttled.</summary>
    Throttled,
}

public sealed record CredentialResult(CredentialOutcome Outcome, Caller Caller, string? Message = null, TimeSpan? RetryAfter = null, TokenSnapshot? Token = null)
{
    public static CredentialResult Anonymous { get; } = new(CredentialOutcome.None, Caller.Anonymous);
}

/// <summary>
/// Reads the credential of a git or API request. Basic (any username, token as password), Bearer
/// and <c>token</c> are the same credential and take this one path.
/// </summary>
public sealed class CredentialReader(TokenVerifier tokens, CredentialThrottle throttle, LatchkeyDb db, SecurityLogWriter log, LatchkeyMetrics metrics)
{
    /// <summary>
    /// A credential that verifies is accepted whatever its address's failure count: tokens carry
    /// 178 random bits and a checksum, so refusing a valid one protects nothing, and one broken CI job
    /// behind an office's address must not lock out everyone else there. Only failures are throttled:
    /// past the limit they are refused (429, Retry-After) without being counted or logged again.
    /// </summary>
    public async Task<CredentialResult> ReadAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 0)
            return CredentialResult.Anonymous;
        var address = context.Connection.RemoteIpAddress;
        var (result, passwordFor) = await ReadCredentialAsync(context);
        if (result.Outcome is not (CredentialOutcome.BadToken or CredentialOutcome.PasswordNotSupported))
            return result;
        var ct = context.RequestAborted;
        var wait = passwordFor is null
            ? await throttle.TokenRetryAfterAsync(address, ct)
            : await throttle.PasswordRetryAfterAsync(passwordFor, address, ct);
        if (wait is not null)
        {
            metrics.ThrottleRefusal(passwordFor is null ? "token" : "password");
            return new CredentialResult(CredentialOutcome.Throttled, Caller.Anonymous,
                $"Too many failed authentication attempts from your address. Try again in {CredentialThrottle.Seconds(wait.Value)} seconds.", wait);
        }
        if (passwordFor is null)
        {
            await throttle.RecordTokenFailureAsync(address, ct);
        }
        else
        {
            await RecordPasswordAttemptAsync(passwordFor, ct);
            await throttle.RecordPasswordFailureAsync(passwordFor, address, ct);
        }
        return result;
    }

    /// <summary>The credential's outcome, and for a password the username it was sent for (logged by the caller, unless throttled).</summary>
    private async Task<(CredentialResult Result, string? PasswordFor)> ReadCredentialAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count > 1 || !AuthenticationHeaderValue.TryParse(header[0], out var value))
            return (Malformed("The Authorization header could not be read."), null);

        string secret;
        if (value.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDecodeBasic(value.Parameter, out var username, out var password))
                return (Malformed("The Basic credentials could not be decoded: expected base64 of username:password."), null);
            if (TokenFormat.LooksLikeToken(password))
                secret = password;
            else if (TokenFormat.LooksLikeToken(username) && (password.Length == 0 || password == "x-oauth-basic"))
                secret = username;
            else
                return (new CredentialResult(CredentialOutcome.PasswordNotSupported, Caller.Anonymous), username);
        }
        else if (value.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)
                 || value.Scheme.Equals("token", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(value.Parameter))
                return (Malformed("The Authorization header has no token."), null);
            secret = value.Parameter.Trim();
        }
        else
        {
            return (Malformed($"Unsupported authorization scheme. Use Basic with a personal access token as the password, or Bearer."), null);
        }

        // A mistyped or invented token fails its checksum here, before any database read.
        var remote = context.Connection.RemoteIpAddress;
        var use = new TokenUse(remote?.ToString(), context.Request.Headers.UserAgent.ToString(), remote,
            $"{context.Request.Method} {context.Request.PathBase}{context.Request.Path}");
        var check = await tokens.VerifyAsync(secret, use, context.RequestAborted);
        metrics.TokenVerification(check.Result switch
        {
            TokenCheckResult.Valid => "valid",
            TokenCheckResult.Malformed => "malformed",
            TokenCheckResult.Unknown => "unknown",
            TokenCheckResult.Expired => "expired",
            TokenCheckResult.OwnerSuspended => "owner_suspended",
            TokenCheckResult.ClassicDisabled => "classic_disabled",
            TokenCheckResult.NetworkNotAllowed => "network_not_allowed",
            _ => "other",
        });
        if (TokenVerifier.PolicyRefusal(check.Result) is { } refusal)
            return (new CredentialResult(CredentialOutcome.Refused, Caller.Anonymous, refusal, Token: check.Token), null);
        return check.Result == TokenCheckResult.Valid
            ? (new CredentialResult(CredentialOutcome.Valid, Caller.FromToken(check.Token!, check.User!), Token: check.Token), null)
            : (new CredentialResult(CredentialOutcome.BadToken, Caller.Anonymous, "Bad credentials"), null);
    }

    /// <summary>A password sent for a real account goes into that account's security log (the password never does).</summary>
    private async Task RecordPasswordAttemptAsync(string username, CancellationToken ct)
    {
        if (username.Length is 0 or > Accounts.UsernameRules.MaxLength)
            return;
        var normalized = Accounts.UsernameRules.Normalize(username);
        var userId = await db.Users.Where(u => u.NormalizedUserName == normalized).Select(u => (long?)u.Id).SingleOrDefaultAsync(ct);
        if (userId is { } id)
            await log.RecordAsync(id, SecurityActions.GitPasswordRefused, "A password was sent where a personal access token is required", succeeded: false, ct: ct);
    }

    private static CredentialResult Malformed(string message) => new(CredentialOutcome.Malformed, Caller.Anonymous, message);

    private static bool TryDecodeBasic(string? parameter, out string username, out string password)
    {
        username = password = "";
        if (string.IsNullOrWhiteSpace(parameter))
            return false;
        var buffer = new byte[parameter.Length];
        if (!Convert.TryFromBase64String(parameter.Trim(), buffer, out var written))
            return false;
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
            return false;
        username = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }
}
