using System.Security.Claims;
using System.Security.Cryptography;
using Latchkey.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Accounts;

/// <summary>
/// Keeps authentication tickets in the database (one row a session) and enforces idle and absolute
/// lifetimes on every request. Each sign-in gets a fresh id; the previous one is removed by the
/// cookie handler.
/// </summary>
public sealed class SessionStore(IServiceScopeFactory scopes, TimeProvider clock, IOptions<SessionOptions> options) : ITicketStore
{
    /// <summary>The claim that carries the session id into <see cref="HttpContext.User"/>.</summary>
    public const string SessionIdClaim = "latchkey:session";

    private static readonly TicketSerializer Serializer = TicketSerializer.Default;

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        StoreAsync(ticket, null, cancellationToken);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        var id = Base64Url(RandomNumberGenerator.GetBytes(32));
        MarkSession(ticket, id);
        var userId = long.Parse(ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var now = clock.GetUtcNow().UtcDateTime;
        var agent = httpContext?.Request.Headers.UserAgent.ToString();
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        // Sessions abandoned past their lifetimes go now, with the address and user agent they kept.
        var idleSince = now - options.Value.IdleTimeout;
        await db.Sessions.Where(s => s.ExpiresAt <= now || s.LastSeenAt <= idleSince).ExecuteDeleteAsync(cancellationToken);
        db.Sessions.Add(new UserSession
        {
            Id = id,
            UserId = userId,
            Ticket = Serializer.Serialize(ticket),
            CreatedAt = now,
            LastSeenAt = now,
            SudoAt = now,
            ExpiresAt = now + options.Value.AbsoluteLifetime,
            IpAddress = httpContext?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = agent is { Length: > 512 } ? agent[..512] : agent,
        });
        await db.SaveChangesAsync(cancellationToken);
        return id;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public async Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        MarkSession(ticket, key);
        var bytes = Serializer.Serialize(ticket);
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Sessions.Where(s => s.Id == key)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Ticket, bytes).SetProperty(x => x.LastSeenAt, now), cancellationToken);
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) =>
        RetrieveAsync(key, null, cancellationToken);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == key, cancellationToken);
        if (session is null)
            return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (now >= session.ExpiresAt || now - session.LastSeenAt >= options.Value.IdleTimeout)
        {
            await db.Sessions.Where(s => s.Id == key).ExecuteDeleteAsync(cancellationToken);
            return null;
        }
        if (now - session.LastSeenAt >= options.Value.LastSeenResolution)
        {
            var ip = httpContext?.Connection.RemoteIpAddress?.ToString() ?? session.IpAddress;
            await db.Sessions.Where(s => s.Id == key)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now).SetProperty(x => x.IpAddress, ip), cancellationToken);
        }
        return Serializer.Deserialize(session.Ticket);
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        await db.Sessions.Where(s => s.Id == key).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Puts the session id into the ticket's identity (exactly once), so pages can tell which session is theirs.</summary>
    private static void MarkSession(AuthenticationTicket ticket, string id)
    {
        if (ticket.Principal.Identity is not ClaimsIdentity identity)
            return;
        foreach (var old in identity.FindAll(SessionIdClaim).ToList())
            identity.RemoveClaim(old);
        identity.AddClaim(new Claim(SessionIdClaim, id));
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Ends sessions: one, all of a user's but the current one, or all of a user's.</summary>
public sealed class Sessions(LatchkeyDb db)
{
    public Task<List<UserSession>> ListAsync(long userId, CancellationToken ct) =>
        db.Sessions.AsNoTracking().Where(s => s.UserId == userId).OrderByDescending(s => s.LastSeenAt).ToListAsync(ct);

    public async Task<bool> EndAsync(long userId, string sessionId, CancellationToken ct) =>
        await db.Sessions.Where(s => s.UserId == userId && s.Id == sessionId).ExecuteDeleteAsync(ct) > 0;

    public Task<int> EndAllAsync(long userId, string? exceptSessionId, CancellationToken ct) =>
        db.Sessions.Where(s => s.UserId == userId && s.Id != exceptSessionId).ExecuteDeleteAsync(ct);

    public static string? CurrentId(ClaimsPrincipal user) => user.FindFirstValue(SessionStore.SessionIdClaim);
}
