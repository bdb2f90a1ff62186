namespace Latchkey.Tokens;

/// <summary>
/// A network a token has been used from (issue #18): its IPv4 /24 or IPv6 /48
/// (<see cref="TokenNetworks.NetworkOf(System.Net.IPAddress?)"/>), first and last seen, the last client. One row per
/// token and network; deleted with the token.
/// </summary>
public sealed class TokenNetworkSighting
{
    public const int MaxNetworkLength = 64;
    public const int MaxUserAgentLength = 256;

    public long Id { get; set; }
    public long TokenId { get; set; }
    public required string Network { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public string? LastUserAgent { get; set; }

    /// <summary>When the owner was mailed about this network; null for the token's first network (its baseline) and until the mail is claimed.</summary>
    public DateTime? AlertedAt { get; set; }
}
