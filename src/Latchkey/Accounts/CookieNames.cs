namespace Latchkey.Accounts;

/// <summary>
/// How cookies are named and flagged. When the server's public URL is HTTPS (Latchkey:PublicUrl),
/// every cookie is "__Host-" prefixed, Secure, path "/", with no Domain: browsers then refuse it
/// from plain HTTP or a sibling host. On plain-HTTP development servers the prefix cannot be used.
/// </summary>
public sealed record CookieNames(bool Secure)
{
    public const string HostPrefix = "__Host-";

    public static CookieNames From(IConfiguration configuration) =>
        new(Uri.TryCreate(configuration["Latchkey:PublicUrl"], UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps);

    public string Name(string baseName) => Secure ? HostPrefix + baseName : baseName;

    public void Apply(CookieBuilder cookie, string baseName, SameSiteMode sameSite)
    {
        cookie.Name = Name(baseName);
        cookie.HttpOnly = true;
        cookie.SameSite = sameSite;
        cookie.Path = "/";
        cookie.Domain = null;
        cookie.SecurePolicy = Secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        cookie.IsEssential = true;
    }
}
