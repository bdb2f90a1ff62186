using Latchkey.Accounts;
using Latchkey.Tokens;

namespace Latchkey.Authorization;

public enum CredentialKind
{
    None,
    Session,
    ClassicToken,
    FineGrainedToken,
}

/// <summary>Who is asking and with which credential: the input of every authorization decision.</summary>
public sealed record Caller(User? User, CredentialKind Credential, IReadOnlyList<string> Scopes, long? TokenId = null, FineGrainedGrant? Grant = null)
{
    public static Caller Anonymous { get; } = new(null, CredentialKind.None, []);

    public static Caller FromSession(User user) => new(user, CredentialKind.Session, []);

    public static Caller FromToken(TokenSnapshot token, User user) =>
        token.Kind == TokenKind.Classic
            ? new(user, CredentialKind.ClassicToken, token.Scopes, token.Id)
            : new(user, CredentialKind.FineGrainedToken, [], token.Id, token.Grant);

    public bool IsAuthenticated => User is not null;

    public bool HasScope(string scope) => Tokens.Scopes.Grants(Scopes, scope);
}
