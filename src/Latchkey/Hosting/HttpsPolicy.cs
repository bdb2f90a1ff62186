using System.Text;

namespace Latchkey.Hosting;

/// <summary>
/// When the public URL is HTTPS, plain-HTTP browser pages are redirected there, while git and the
/// API are refused with an error: a redirect would already have sent their credentials in clear, and
/// clients that follow it would teach people the insecure URL works.
/// </summary>
public static class HttpsPolicy
{
    public static WebApplication UseHttpsPolicy(this WebApplication app)
    {
        if (!Uri.TryCreate(app.Configuration["Latchkey:PublicUrl"], UriKind.Absolute, out var publicUrl) || publicUrl.Scheme != Uri.UriSchemeHttps)
            return app;

        app.Use(async (context, next) =>
        {
            // The load balancer probes each node directly, over plain HTTP.
            if (context.Request.IsHttps || Health.IsHealthPath(context.Request.Path))
            {
                await next(context);
                return;
            }
            // A credential in the header (an archive download in CI, say) is refused on any path, as git's is.
            if (IsMachineEndpoint(context.Request.Path) || context.Request.Headers.Authorization.Count > 0)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(
                    $"HTTPS is required. Use {publicUrl.GetLeftPart(UriPartial.Authority)}{context.Request.Path} instead.\n"), context.RequestAborted);
                return;
            }
            var target = publicUrl.GetLeftPart(UriPartial.Authority) + context.Request.PathBase + context.Request.Path + context.Request.QueryString;
            context.Response.Redirect(target, permanent: true, preserveMethod: true);
        });
        return app;
    }

    /// <summary>Git smart HTTP and the REST API: clients that carry credentials in every request.</summary>
    public static bool IsMachineEndpoint(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        || path.Value is { } value && (value.EndsWith("/info/refs", StringComparison.Ordinal)
                                       || value.EndsWith("/git-upload-pack", StringComparison.Ordinal)
                                       || value.EndsWith("/git-receive-pack", StringComparison.Ordinal));
}
