using Microsoft.AspNetCore.Mvc.Filters;

namespace Latchkey.Tokens;

/// <summary>
/// Web pages show and enforce the token policy (the token forms, the expiry banner): before a page
/// handler runs, the policy is read again if the credential epoch moved (one primary-key read), so a
/// change made on another node holds here at once.
/// </summary>
public sealed class TokenPolicyPageFilter(TokenPolicies policies) : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        await policies.RefreshAsync(context.HttpContext.RequestAborted);
        await next();
    }
}
