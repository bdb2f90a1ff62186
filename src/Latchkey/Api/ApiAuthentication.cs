using System.Globalization;
using Latchkey.Authorization;
using Latchkey.Tokens;

namespace Latchkey.Api;

/// <summary>
/// The API door onto the shared credential reader: the same tokens, throttle and security log as git,
/// answered the GitHub way (JSON messages, X-OAuth-Scopes, X-Accepted-OAuth-Scopes and the token's
/// expiry in github-authentication-token-expiration).
/// </summary>
public sealed class ApiAuthentication(CredentialReader credentials, TokenLifetimePolicy lifetime)
{
    /// <summary>The caller, or null with the refusal written. <paramref name="acceptedScopes"/> is what the endpoint checks for.</summary>
    public async Task<Caller?> RequireAsync(HttpContext context, params string[] acceptedScopes)
    {
        var ct = context.RequestAborted;
        context.Response.Headers["X-Accepted-OAuth-Scopes"] = string.Join(", ", acceptedScopes);
        var result = await credentials.ReadAsync(context);
        switch (result.Outcome)
        {
            case CredentialOutcome.Valid:
                var caller = result.Caller;
                context.Response.Headers["X-OAuth-Scopes"] = Scopes.Join(caller.Scopes);
                if (caller.TokenId is not null && result.Token is { } token && lifetime.EffectiveExpiry(token) is { } expiry)
                    context.Response.Headers["github-authentication-token-expiration"] = expiry.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
                return caller;
            case CredentialOutcome.None:
                await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "Requires authentication", ct);
                return null;
            case CredentialOutcome.Throttled:
                context.Response.Headers.RetryAfter = CredentialThrottle.Seconds(result.RetryAfter!.Value).ToString(CultureInfo.InvariantCulture);
                await ApiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, result.Message!, ct);
                return null;
            case CredentialOutcome.PasswordNotSupported:
                await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized,
                    "Password authentication is not supported for the API. Use a personal access token.", ct);
                return null;
            case CredentialOutcome.Malformed:
                await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, result.Message!, ct);
                return null;
            default:
                await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "Bad credentials", ct);
                return null;
        }
    }
}
