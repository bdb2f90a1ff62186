using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Net.Http.Headers;

namespace Latchkey.Accounts;

/// <summary>
/// The cookie handler renews (keeps the id of) a session whose cookie comes along with a sign-in.
/// A cookie planted in a victim's browser would then survive the victim's sign-in (session fixation).
/// Sign-in, sign-up and sudo confirmation posts therefore never see an existing session cookie: each
/// gets a fresh session. The cookie that was dropped stays readable for the sudo confirmation,
/// which must end the session it replaces (see <see cref="PreviousSession"/>).
/// </summary>
public static class FreshSessionAtSignIn
{
    public const string PreviousCookieItem = "latchkey:previous-session-cookie";

    private static readonly string[] SignInPaths = ["/login", "/signup", SudoMode.PromptPath];

    public static WebApplication UseFreshSessionAtSignIn(this WebApplication app)
    {
        var cookieName = app.Services.GetRequiredService<CookieNames>().Name("latchkey_session");
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (HttpMethods.IsPost(request.Method)
                && SignInPaths.Any(p => request.Path.Equals(p, StringComparison.OrdinalIgnoreCase))
                && request.Cookies.ContainsKey(cookieName))
            {
                context.Items[PreviousCookieItem] = new ChunkingCookieManager().GetRequestCookie(context, cookieName);
                var kept = CookieHeaderValue.ParseList(request.Headers.Cookie.Select(v => v ?? "").ToList())
                    .Where(c => !c.Name.Equals(cookieName, StringComparison.Ordinal) && !c.Name.StartsWith(cookieName + "C", StringComparison.Ordinal))
                    .Select(c => c.ToString());
                request.Headers.Cookie = string.Join("; ", kept);
            }
            return next(context);
        });
        return app;
    }
}

/// <summary>The session whose cookie <see cref="FreshSessionAtSignIn"/> dropped from this request, if it is still live.</summary>
public static class PreviousSession
{
    // The claim the cookie handler puts into its cookie when a session store is in use.
    private const string CookieSessionIdClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    public static async Task<(string Id, System.Security.Claims.ClaimsPrincipal Principal)?> ReadAsync(HttpContext context)
    {
        if (context.Items[FreshSessionAtSignIn.PreviousCookieItem] is not string cookie || cookie.Length == 0)
            return null;
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<CookieAuthenticationOptions>>()
            .Get(Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme);
        var outer = options.TicketDataFormat.Unprotect(cookie);
        if (outer?.Principal.FindFirst(CookieSessionIdClaim)?.Value is not { } id)
            return null;
        var ticket = await context.RequestServices.GetRequiredService<SessionStore>().RetrieveAsync(id, context, context.RequestAborted);
        return ticket is null ? null : (id, ticket.Principal);
    }
}
