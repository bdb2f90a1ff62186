using Microsoft.EntityFrameworkCore;
using Latchkey.Accounts;

namespace Latchkey.Tokens;

/// <summary>A stored token: never the secret, only its HMAC digest and last eight characters.</summary>
public sealed class PersonalAccessToken : ITokenRecord
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public TokenKind Kind { get; set; }
    public required string Note { get; set; }
    public required byte[] Digest { get; set; }
    public required string LastEight { get; set; }

    /// <summary>Base64 SHA-256 of the secret (GitHub's <c>hashed_token</c>), for finding a token's events; the secret cannot be got back from it.</summary>
    public string? HashedToken { get; set; }

    /// <summary>Normalised scopes, comma-separated, as in <c>X-OAuth-Scopes</c>.</summary>
    public string Scopes { get; set; } = "";
    public DateTime CreatedAt { get; set; }

    /// <summary>UTC instant after which the token no longer works; null for "No expiration".</summary>
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }

    /// <summary>When the token rotated itself (<see cref="TokenIssuer.RotateAsync"/>): it works until its overlap ends, and is never rotated again.</summary>
    public DateTime? RotatedAt { get; set; }

    /// <summary>
    /// When the token was revoked (deleted from its page, by "Revoke all", a site administrator, push
    /// protection or a leak report): it works nowhere from then on. The row stays for the site's
    /// inventory (<c>state=revoked</c>) for <see cref="TokenRules.RevokedKeptDays"/> days; every query of
    /// tokens leaves it out (the model's query filter) unless it asks for revoked ones.
    /// </summary>
    public DateTime? RevokedAt { get; set; }

    /// <summary>
    /// Until when the new secret may still be shown, once (<see cref="TokenIssuer.ClaimHandoverAsync"/>);
    /// null once it has been shown. The secret itself is never stored.
    /// </summary>
    public DateTime? SecretHandoverUntil { get; set; }
    public string? LastUsedIp { get; set; }

    /// <summary>
    /// A canary (<see cref="CanaryTokens"/>): shaped like a real token, authorizes nothing; presented
    /// anywhere it answers as an unknown token would and tells its owner.
    /// </summary>
    public bool IsCanary { get; set; }

    /// <summary>A site canary: made by a site administrator, and every site administrator is told when it is tripped.</summary>
    public bool IsSiteCanary { get; set; }

    /// <summary>How often the canary was presented, and when last.</summary>
    public int CanaryTrips { get; set; }
    public DateTime? CanaryLastTrippedAt { get; set; }

    /// <summary>The networks the token may be used from, one CIDR per line (<see cref="Tokens.AllowedNetworks.Parse(string?)"/>); null: anywhere.</summary>
    public string? AllowedNetworks { get; set; }
    public string? LastUsedUserAgent { get; set; }

    /// <summary>Fine-grained tokens: what the token is for, beyond its name (<see cref="Note"/>).</summary>
    public string? Description { get; set; }

    /// <summary>Fine-grained tokens: which repositories it reaches.</summary>
    public RepositoryAccess RepositoryAccess { get; set; }

    /// <summary>Fine-grained tokens: permission levels, "contents:write,metadata:read".</summary>
    public string Permissions { get; set; } = "";

    /// <summary>Fine-grained tokens with <see cref="RepositoryAccess.Selected"/>: the chosen repositories.</summary>
    public List<TokenRepository> Repositories { get; set; } = [];

    public IReadOnlyList<string> ScopeList => Tokens.Scopes.Split(Scopes);

    public PermissionSet PermissionSet => Tokens.PermissionSet.Parse(Permissions);

    /// <summary>What a fine-grained token allows (its repositories must be loaded); null for a classic token.</summary>
    public FineGrainedGrant? Grant => Kind == TokenKind.FineGrained
        ? new FineGrainedGrant(RepositoryAccess, Repositories.Select(r => r.RepositoryId).ToHashSet(), PermissionSet)
        : null;

    public bool IsExpired(DateTime nowUtc) => ExpiresAt is { } expires && nowUtc >= expires;
}

/// <summary>A repository picked for a fine-grained token ("Only select repositories").</summary>
public sealed class TokenRepository
{
    public long TokenId { get; set; }
    public long RepositoryId { get; set; }
}

public static class TokenRevocation
{
    /// <summary>
    /// Revokes the tokens <paramref name="tokens"/> selects, in one statement: they stop working at
    /// once on every node (the credential epoch moves) and stay on record as revoked.
    /// </summary>
    public static Task<int> ExecuteRevokeAsync(this IQueryable<PersonalAccessToken> tokens, DateTime nowUtc, CancellationToken ct) =>
        tokens.ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, nowUtc), ct);
}
