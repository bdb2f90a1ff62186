using System.Security.Claims;
using Latchkey.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Accounts;

/// <summary>
/// Sudo mode, as on GitHub: sensitive actions need a password confirmed within the last two hours
/// (configurable) in this session; each sensitive action restarts the two hours. Kept on the
/// server-side session, so it holds on every node and ends with the session.
/// </summary>
public sealed class SudoMode(LatchkeyDb db, TimeProvider clock, IOptions<SessionOptions> options)
{
    public const string PromptPath = "/sessions/sudo";

    public async Task<bool> IsActiveAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (Sessions.CurrentId(user) is not { } id)
            return false;
        var confirmedAt = await db.Sessions.Where(s => s.Id == id).Select(s => (DateTime?)s.SudoAt).SingleOrDefaultAsync(ct);
        return confirmedAt is { } at && clock.GetUtcNow().UtcDateTime - at < options.Value.SudoDuration;
    }

    /// <summary>Records a password confirmation, or a sensitive action done in sudo mode, as of now.</summary>
    public async Task RefreshAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (Sessions.CurrentId(user) is not { } id)
            return;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Sessions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.SudoAt, now), ct);
    }

    public static string PromptFor(HttpRequest request) =>
        $"{PromptPath}?return_to={Uri.EscapeDataString(request.Path + request.QueryString)}";
}

/// <summary>
/// Page handlers that need sudo mode. Without it, the person is sent to confirm their password and
/// then back to the page (a POST's form is shown again, nothing is done). After a successful POST
/// the two hours restart.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequireSudoAttribute(params string[] handlers) : Attribute, IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var handler = context.HandlerMethod;
        // Named handlers by name ("Delete"); unnamed ones by HTTP method ("POST").
        if (handler is null || (handlers.Length > 0 && !handlers.Contains(handler.Name ?? handler.HttpMethod, StringComparer.OrdinalIgnoreCase)))
        {
            await next();
            return;
        }
        var http = context.HttpContext;
        var sudo = http.RequestServices.GetRequiredService<SudoMode>();
        if (!await sudo.IsActiveAsync(http.User, http.RequestAborted))
        {
            var back = HttpMethods.IsGet(http.Request.Method) ? SudoMode.PromptFor(http.Request)
                : $"{SudoMode.PromptPath}?return_to={Uri.EscapeDataString(http.Request.Path.ToString())}";
            context.Result = new RedirectResult(back);
            return;
        }
        var executed = await next();
        if (!HttpMethods.IsGet(http.Request.Method) && executed.Exception is null && http.Response.StatusCode < 400)
            await sudo.RefreshAsync(http.User, CancellationToken.None);
    }
}
