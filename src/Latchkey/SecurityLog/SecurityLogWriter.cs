using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.SecurityLog;

/// <summary>Security log actions, named as GitHub names its security log events.</summary>
public static class SecurityActions
{
    public const string SignUp = "user.create";
    public const string SignIn = "user.login";
    public const string SignInFailed = "user.failed_login";
    public const string SignOut = "user.logout";
    public const string SudoConfirmed = "user.sudo";
    public const string SudoFailed = "user.failed_sudo";
    public const string PasswordChanged = "user.change_password";
    public const string PasswordChangeFailed = "user.failed_change_password";
    public const string EmailChanged = "user.change_email";
    public const string SessionRevoked = "user.session_revoke";
    public const string Suspended = "user.suspend";
    public const string Unsuspended = "user.unsuspend";
    public const string SessionsEndedByAdmin = "user.sessions_ended";
    public const string UserDeleted = "user.destroy";
    public const string TokenCreated = "personal_access_token.create";
    public const string TokenDeleted = "personal_access_token.destroy";
    public const string TokenUpdated = "personal_access_token.update";
    public const string TokenRegenerated = "personal_access_token.regenerate";
    public const string TokenRotated = "personal_access_token.rotate";
    public const string TokenUsedInOverlap = "personal_access_token.used_after_rotation";
    public const string TokenRevoked = "personal_access_token.revoke";
    public const string TokenExpired = "personal_access_token.expired";
    public const string TokenRefused = "personal_access_token.refused";
    public const string TokenPolicyUpdated = "business.personal_access_token_policy_update";
    public const string TokenNetworkRefused = "personal_access_token.network_refused";
    public const string TokenNewNetwork = "personal_access_token.new_network";
    public const string GitPasswordRefused = "git.password_refused";
    public const string GitPermissionDenied = "git.permission_denied";
    public const string GitFetch = "git.fetch";
    public const string GitClone = "git.clone";
    public const string GitPush = "git.push";
    public const string PushBlocked = "git.push_protection_block";
    public const string CanaryCreated = "personal_access_token.canary_create";
    public const string CanaryTripped = "personal_access_token.canary_tripped";
}

/// <summary>Writes security log entries, with the request's address and user agent.</summary>
public sealed class SecurityLogWriter(LatchkeyDb db, TimeProvider clock, IHttpContextAccessor http)
{
    public const int MaxDetailLength = 500;

    /// <summary>The address and user agent of the request being served (nulls outside one).</summary>
    public (string? Address, string? UserAgent) Where()
    {
        var request = http.HttpContext;
        var agent = request?.Request.Headers.UserAgent.ToString();
        return (request?.Connection.RemoteIpAddress?.ToString(), Clip(TokenFormat.RedactOrNull(agent), 200));
    }

    public async Task RecordAsync(long userId, string action, string? detail = null, bool succeeded = true,
        ITokenRecord? token = null, User? actor = null, CancellationToken ct = default)
    {
        Stage(userId, action, detail, succeeded, token, actor);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Adds an entry to be saved with the caller's next SaveChanges (in its transaction).</summary>
    public void Stage(long userId, string action, string? detail = null, bool succeeded = true,
        ITokenRecord? token = null, User? actor = null)
    {
        var request = http.HttpContext;
        var agent = request?.Request.Headers.UserAgent.ToString();
        db.SecurityEvents.Add(new SecurityEvent
        {
            UserId = userId,
            Action = action,
            Succeeded = succeeded,
            // No secret is kept here, whoever wrote the text: anything token-shaped is masked.
            Detail = Clip(TokenFormat.RedactOrNull(detail), MaxDetailLength),
            TokenId = token?.Id,
            TokenLastEight = token?.LastEight,
            TokenHash = token?.HashedToken,
            ActorId = actor?.Id,
            ActorName = actor?.UserName,
            IpAddress = request?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Clip(TokenFormat.RedactOrNull(agent), 512),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
    }

    /// <summary>An account's entries, newest first; only one token's when <paramref name="hashedToken"/> is given.</summary>
    public async Task<(List<SecurityEvent> Page, bool HasMore)> PageAsync(long userId, int page, int perPage, CancellationToken ct, string? hashedToken = null)
    {
        var rows = await db.SecurityEvents.AsNoTracking()
            .Where(e => e.UserId == userId && (hashedToken == null || e.TokenHash == hashedToken))
            .OrderByDescending(e => e.Id)
            .Skip((page - 1) * perPage)
            .Take(perPage + 1)
            .ToListAsync(ct);
        return (rows.Take(perPage).ToList(), rows.Count > perPage);
    }

    private static string? Clip(string? text, int max) =>
        string.IsNullOrEmpty(text) ? null : text.Length > max ? text[..max] : text;
}

public static class SecurityLogSetup
{
    public static WebApplicationBuilder AddSecurityLog(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<SecurityLogWriter>();
        builder.Services.AddScoped<AuditLogSearch>();
        return builder;
    }
}
