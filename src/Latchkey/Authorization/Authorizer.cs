using Microsoft.AspNetCore.Authorization;

namespace Latchkey.Authorization;

/// <summary>
/// How a door asks for a decision: ASP.NET Core's <see cref="IAuthorizationService"/> with the
/// declared requirement and its resource, answered by <see cref="AccessRequirementHandler"/> from
/// <see cref="AccessPolicy"/>. The result is the policy's <see cref="Decision"/>, for the door's translator.
/// </summary>
public sealed class Authorizer(IAuthorizationService authorization, IHttpContextAccessor http)
{
    public async Task<Decision> DecideAsync(AccessRequirement requirement, object? resource = null)
    {
        var user = http.HttpContext?.User ?? new System.Security.Claims.ClaimsPrincipal();
        var result = await authorization.AuthorizeAsync(user, resource, [requirement]);
        if (result.Succeeded)
            return Decision.Allow;
        return result.Failure?.FailureReasons.OfType<DecisionReason>().FirstOrDefault()?.Decision ?? Decision.NotFound;
    }

    /// <summary>The requirement an endpoint declares (the endpoint's own, else its group's), or null.</summary>
    public static AccessRequirement? DeclaredBy(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<AccessRequirement>();

    /// <summary>True when the endpoint says it is open to anyone.</summary>
    public static bool IsAnonymous(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<AnonymousAccess>() is not null;
}

public static class AuthorizationSetup
{
    public static WebApplicationBuilder AddAccessPolicy(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddAuthorization();
        builder.Services.AddScoped<CurrentCaller>();
        builder.Services.AddScoped<IAuthorizationHandler, AccessRequirementHandler>();
        builder.Services.AddScoped<Authorizer>();
        builder.Services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        return builder;
    }
}
