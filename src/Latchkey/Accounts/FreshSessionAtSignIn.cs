using Microsoft.Net.Http.Headers;

namespace Latchkey.Accounts;

/// <summary>
/// The cookie handler renews (keeps the id of) a session whose cookie comes along with a sign-in.
/// A cookie planted in a victim's browser would then survive the victim's sign-in (session fixation).
/// Sign-in and sign-up posts therefore never see an existing session cookie: each gets a fresh session.
/// </summary>
public static class FreshSessionAtSignIn
{
    private static readonly string[] SignInPaths = ["/login", "/signup"];

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
