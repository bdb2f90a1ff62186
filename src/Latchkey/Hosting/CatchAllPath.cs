using Microsoft.AspNetCore.Http.Features;

namespace Latchkey.Hosting;

/// <summary>
/// The value of a catch-all route parameter (<c>{**path}</c>) decoded the way GitHub decodes it:
/// once, <c>%2F</c> included. Kestrel decodes a request path except <c>%2F</c> (so that it cannot
/// make new segments), which would leave <c>docs%2Fnested%2Fa.md</c> as one literal file name; and
/// decoding what Kestrel left would decode <c>%25</c> twice. So the parameter's segments are taken
/// from the request line as the client sent it and each is decoded exactly once.
/// </summary>
public static class CatchAllPath
{
    /// <summary>The decoded value, or null when it holds a "." or ".." segment (or cannot be decoded): the caller answers 404/422.</summary>
    public static string? Decode(HttpContext context, string? routeValue)
    {
        if (string.IsNullOrEmpty(routeValue))
            return routeValue ?? "";
        var decoded = FromRawTarget(context, routeValue) ?? routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        return decoded.Split('/').Any(segment => segment is "." or "..") ? null : decoded;
    }

    /// <summary>A repository path as it goes into a URL the server builds: each segment escaped, the slashes kept.</summary>
    public static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string? FromRawTarget(HttpContext context, string routeValue)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || !raw.StartsWith('/'))
            return null;
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = query < 0 ? raw : raw[..query];
        // The route value keeps %2F, so it has as many segments as its raw form: the last ones of the path.
        var count = routeValue.Split('/').Length;
        var rawSegments = rawPath.Split('/');
        if (rawSegments.Length < count)
            return null;
        try
        {
            return string.Join('/', rawSegments[^count..].Select(Uri.UnescapeDataString));
        }
        catch (UriFormatException)
        {
            return null;
        }
    }
}
