namespace Latchkey.Tokens;

/// <summary>What the security log and the lifetime rules need to know of a token, stored or snapshotted.</summary>
public interface ITokenRecord
{
    long Id { get; }
    TokenKind Kind { get; }
    string LastEight { get; }
    DateTime CreatedAt { get; }
    DateTime? ExpiresAt { get; }

    /// <summary>Base64 SHA-256 of the secret, as GitHub's audit log names a token (<c>hashed_token</c>); null for tokens made before it was kept.</summary>
    string? HashedToken { get; }
}

/// <summary>
/// A verified token as requests see it: immutable, so one cached copy can serve any number of
/// concurrent requests. Its scopes and grant are parsed once, when it is read from the database.
/// </summary>
public sealed record TokenSnapshot(long Id, long UserId, TokenKind Kind, string Note, string LastEight,
    IReadOnlyList<string> Scopes, FineGrainedGrant? Grant, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt, DateTime? RotatedAt = null, string? HashedToken = null,
    IReadOnlyList<System.Net.IPNetwork>? AllowedNetworks = null) : ITokenRecord
{
    public static TokenSnapshot Of(PersonalAccessToken token) => new(token.Id, token.UserId, token.Kind, token.Note, token.LastEight,
        token.ScopeList, token.Grant, token.CreatedAt, token.ExpiresAt, token.LastUsedAt, token.RotatedAt, token.HashedToken,
        Tokens.AllowedNetworks.Stored(token.AllowedNetworks));
}
