namespace Latchkey.SecurityLog;

/// <summary>
/// One entry in an account's security log: when, from where, who did what, and how it ended.
/// Never a secret: tokens appear by id and last eight characters only.
/// </summary>
public sealed class SecurityEvent
{
    public long Id { get; set; }

    /// <summary>The account whose log this entry belongs to.</summary>
    public long UserId { get; set; }

    /// <summary>Who acted, when not the account itself (a site administrator).</summary>
    public long? ActorId { get; set; }
    public string? ActorName { get; set; }

    public required string Action { get; set; }
    public bool Succeeded { get; set; } = true;
    public string? Detail { get; set; }
    public long? TokenId { get; set; }
    public string? TokenLastEight { get; set; }

    /// <summary>The token's <see cref="Tokens.ITokenRecord.HashedToken"/>, so a token's events are found even after it is deleted.</summary>
    public string? TokenHash { get; set; }
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
    public DateTime CreatedAt { get; set; }
}
