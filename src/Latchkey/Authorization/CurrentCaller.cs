using Latchkey.Accounts;
using Latchkey.Tokens;

namespace Latchkey.Authorization;

/// <summary>
/// The request's caller, for handlers to take as a parameter: set once per request by the token
/// authentication handler (API, git) or from the sign-in cookie (web). Handlers never read headers
/// or <c>HttpContext.Items</c> for it.
/// </summary>
public sealed class CurrentCaller
{
    public Caller Caller { get; private set; } = Caller.Anonymous;

    public User? User => Caller.User;

    /// <summary>The verified token behind the caller, when it is a token (for its expiry header).</summary>
    public TokenSnapshot? Token { get; private set; }

    /// <summary>How reading the request's credential went; null until a door has read it.</summary>
    public CredentialResult? Credential { get; private set; }

    /// <summary>The repository an <c>{owner}/{repo}</c> route was authorized for (loaded once, by the route group's filter).</summary>
    public Repositories.Repository? Repository { get; set; }

    public void Set(CredentialResult result)
    {
        Credential = result;
        Caller = result.Caller;
        Token = result.Token;
    }

    public void SetSession(Caller caller) => Caller = caller;

    /// <summary>The caller a signed Git LFS transfer link was issued to, checked again (<see cref="Lfs.LfsLinks"/>).</summary>
    public void SetFromLink(Caller caller) => Caller = caller;
}
