namespace Latchkey.Hosting;

/// <summary>
/// Headers every response carries, and the stricter set for HTML pages: a Content-Security-Policy
/// with no inline script or style, no framing, no plugins; HSTS over HTTPS; no caching of pages
/// that show settings or secrets.
/// </summary>
public static class SecurityHeaders
{
    public const string PageContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>For content pushed by users (raw files): nothing in it may run or be framed.</summary>
    public const string SandboxContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'";

    private static readonly string[] PrivatePrefixes = ["/settings", "/login", "/signup", "/logout", "/new"];

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var response = context.Response;
                var headers = response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                if (context.Request.IsHttps)
                    headers.StrictTransportSecurity = "max-age=31536000";
                if (response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
                {
                    if (!headers.ContainsKey("Content-Security-Policy"))
                        headers.ContentSecurityPolicy = PageContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                    var path = context.Request.Path;
                    if (PrivatePrefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
                        headers.CacheControl = "no-store";
                    else if (!headers.ContainsKey("Cache-Control"))
                        headers.CacheControl = "no-cache, private";
                }
                return Task.CompletedTask;
            });
            // TRACE reflects requests (cookies included) back: nothing here answers it.
            if (HttpMethods.IsTrace(context.Request.Method) || context.Request.Method.Equals("TRACK", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return Task.CompletedTask;
            }
            return next(context);
        });
        return app;
    }
}
