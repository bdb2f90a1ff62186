namespace Latchkey.Accounts;

/// <summary>
/// A signed-in browser session held on the server. The cookie carries only a reference to it, so
/// signing out, a password change or an administrator ends a session at once.
/// </summary>
public sealed class UserSession
{
    /// <summary>256 random bits, base64url; the reference the cookie carries (encrypted).</summary>
    public required string Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public required byte[] Ticket { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastSeenAt { get; set; }

    /// <summary>The absolute end of the session, however active it is.</summary>
    public DateTime ExpiresAt { get; set; }
    /// <summary>When the password was last confirmed in this session (sign-in or sudo prompt).</summary>
    public DateTime SudoAt { get; set; }
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
}
