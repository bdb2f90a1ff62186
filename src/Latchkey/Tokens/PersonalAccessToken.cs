using Latchkey.Accounts;

namespace Latchkey.Tokens;

/// <summary>A stored token: never the secret, only its HMAC digest and last eight characters.</summary>
public sealed class PersonalAccessToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public TokenKind Kind { get; set; }
    public required string Note { get; set; }
    public required byte[] Digest { get; set; }
    public required string LastEight { get; set; }

    /// <summary>Normalised scopes, comma-separated, as in <c>X-OAuth-Scopes</c>.</summary>
    public string Scopes { get; set; } = "";
    public DateTime CreatedAt { get; set; }

    /// <summary>UTC instant after which the token no longer works; null for "No expiration".</summary>
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public string? LastUsedIp { get; set; }
    public string? LastUsedUserAgent { get; set; }

    public IReadOnlyList<string> ScopeList => Tokens.Scopes.Split(Scopes);

    public bool IsExpired(DateTime nowUtc) => ExpiresAt is { } expires && nowUtc >= expires;
}
