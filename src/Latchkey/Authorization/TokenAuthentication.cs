using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Latchkey.Authorization;

/// <summary>
/// ASP.NET Core authentication for personal access tokens: Basic (the token as password, any
/// username), Bearer and <c>token</c>, through the one <see cref="CredentialReader"/> (throttle,
/// checksum, digest, security log). It yields a <see cref="ClaimsPrincipal"/> and sets the request's
/// <see cref="CurrentCaller"/>. It never challenges by itself: each door (API, git) answers a
/// failed or missing credential in its own words (<see cref="Api.ApiRefusals"/>, <see cref="Git.GitAccess"/>).
/// </summary>
public sealed class TokenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    CredentialReader reader, CurrentCaller current)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "LatchkeyToken";

    public const string CredentialClaim = "latchkey:credential";
    public const string TokenIdClaim = "latchkey:token_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var result = await reader.ReadAsync(Context);
        current.Set(result);
        switch (result.Outcome)
        {
            case CredentialOutcome.None:
                return AuthenticateResult.NoResult();
            case CredentialOutcome.Valid:
                var caller = result.Caller;
                var identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, caller.User!.Id.ToString(CultureInfo.InvariantCulture)),
                    new Claim(ClaimTypes.Name, caller.User.UserName ?? ""),
                    new Claim(CredentialClaim, caller.Credential.ToString()),
                    new Claim(TokenIdClaim, caller.TokenId?.ToString(CultureInfo.InvariantCulture) ?? ""),
                ], SchemeName);
                return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
            default:
                // The reason is the outcome's name, never the credential.
                return AuthenticateResult.Fail(result.Outcome.ToString());
        }
    }

    /// <summary>Runs the token scheme for this request (once; later calls reuse the result) and sets HttpContext.User.</summary>
    public static async Task<CurrentCaller> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(SchemeName);
        if (result.Succeeded)
            context.User = result.Principal;
        return context.RequestServices.GetRequiredService<CurrentCaller>();
    }
}
