using System.Globalization;
using Latchkey.Authorization;

namespace Latchkey.Api;

/// <summary>
/// The API door's translator: a refused credential or a <see cref="Decision"/> becomes GitHub's
/// JSON error with its status. No API handler switches on a decision.
/// </summary>
public static class ApiRefusals
{
    public const string NotAccessibleByToken = "Resource not accessible by personal access token";

    /// <summary>The answer to a credential that could not be accepted; null when there is none to give (anonymous or valid).</summary>
    public static ApiErrorResult? ForCredential(HttpContext context, CredentialResult result)
    {
        switch (result.Outcome)
        {
            case CredentialOutcome.Throttled:
                context.Response.Headers.RetryAfter = CredentialThrottle.Seconds(result.RetryAfter!.Value).ToString(CultureInfo.InvariantCulture);
                return ApiErrors.Result(StatusCodes.Status429TooManyRequests, result.Message!);
            case CredentialOutcome.PasswordNotSupported:
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Password authentication is not supported for the API. Use a personal access token.");
            case CredentialOutcome.Malformed:
                return ApiErrors.Result(StatusCodes.Status400BadRequest, result.Message!);
            case CredentialOutcome.BadToken:
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Bad credentials");
            case CredentialOutcome.Refused:
                return ApiErrors.Result(StatusCodes.Status403Forbidden, result.Message!);
            default:
                return null;
        }
    }

    /// <summary>The answer to a refused requirement.</summary>
    public static ApiErrorResult For(Decision decision, AccessRequirement requirement) => decision.Kind switch
    {
        DecisionKind.Allow => throw new ArgumentException("An allowed decision needs no refusal.", nameof(decision)),
        // A private repository is not there for someone who may not read it, signed in or not.
        DecisionKind.Challenge when requirement is RepositoryRequirement { Action: RepoAction.Read or RepoAction.ReadContents } => ApiErrors.NotFound(),
        DecisionKind.Challenge => ApiErrors.Result(StatusCodes.Status401Unauthorized, decision.Message ?? "Requires authentication"),
        DecisionKind.NotFound => ApiErrors.NotFound(),
        _ => Forbidden(decision, requirement),
    };

    private static ApiErrorResult Forbidden(Decision decision, AccessRequirement requirement)
    {
        var message = decision switch
        {
            { MissingScope: { } scope } => $"This request needs the {scope} scope; the token does not have it.",
            { MissingPermission: not null } => NotAccessibleByToken,
            { Message: { } said } => said,
            _ when requirement is RepositoryRequirement { Action: RepoAction.Admin or RepoAction.Delete } or VisibilityChangeRequirement => "Must have admin rights to Repository.",
            _ => NotAccessibleByToken,
        };
        return ApiErrors.Result(StatusCodes.Status403Forbidden, message);
    }
}
