using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Latchkey.Lfs;

/// <summary>What a transfer link allows: one operation on one object of one repository, until it expires, for the caller of the batch request.</summary>
/// <param name="TokenId">The token the batch request was made with; null for an anonymous download of a public repository.</param>
public sealed record LfsLink(string Operation, long RepositoryId, string Oid, long Size, long? TokenId, DateTime ExpiresAt);

/// <summary>
/// The upload, verify and download links of a batch answer. The link is Latchkey's own URL for the
/// object; what authorizes it travels in the action's <c>Authorization</c> header, never in the URL:
/// a value sealed with the site's Data Protection keys (shared by every node through the database),
/// naming the operation, repository, object, size, the token of the batch request and an expiry.
/// A transfer checks it and then asks the policy again for that token (<see cref="LfsHttp"/>), so a
/// token revoked after its batch request is refused on the next object.
/// </summary>
public sealed class LfsLinks(IDataProtectionProvider protection, TimeProvider clock, IOptions<LfsOptions> options)
{
    /// <summary>The authorization scheme of a link's header (the value means nothing to any other door).</summary>
    public const string Scheme = "RemoteAuth";

    public const string Upload = "upload";
    public const string Verify = "verify";
    public const string Download = "download";

    private readonly IDataProtector _protector = protection.CreateProtector("Latchkey.Lfs.TransferLink.v1");

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.LinkMinutes);

    /// <summary>The Authorization header value for one operation on one object.</summary>
    public string Issue(string operation, long repositoryId, string oid, long size, long? tokenId)
    {
        var expires = clock.GetUtcNow().UtcDateTime + Lifetime;
        var payload = string.Join('\n', operation, repositoryId.ToString(CultureInfo.InvariantCulture), oid, size.ToString(CultureInfo.InvariantCulture),
            tokenId?.ToString(CultureInfo.InvariantCulture) ?? "", expires.Ticks.ToString(CultureInfo.InvariantCulture));
        return $"{Scheme} {_protector.Protect(payload)}";
    }

    /// <summary>True when the request carries a link header (valid or not), so it is not a token.</summary>
    public static bool Carries(HttpContext context) => LinkHeader(context) is not null;

    /// <summary>
    /// The link's Authorization value. A client may send a second Authorization header beside it (git's
    /// <c>http.extraHeader</c> with the token, which git-lfs adds to every request): the link is the one that counts.
    /// </summary>
    private static string? LinkHeader(HttpContext context) =>
        context.Request.Headers.Authorization.FirstOrDefault(v => v is not null && v.StartsWith(Scheme + " ", StringComparison.Ordinal));

    /// <summary>The link the request carries, when it is genuine, unexpired and for this operation on this object; otherwise null.</summary>
    public LfsLink? Read(HttpContext context, string operation, string oid)
    {
        if (LinkHeader(context) is not { Length: <= 4096 } header)
            return null;
        string payload;
        try
        {
            payload = _protector.Unprotect(header[(Scheme.Length + 1)..]);
        }
        catch (CryptographicException)
        {
            return null;
        }
        var parts = payload.Split('\n');
        if (parts.Length != 6
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var repositoryId)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || !long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            return null;
        long? tokenId = parts[4].Length == 0 ? null : long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1;
        var link = new LfsLink(parts[0], repositoryId, parts[2], size, tokenId, new DateTime(ticks, DateTimeKind.Utc));
        if (link.Operation != operation || link.Oid != oid || link.TokenId == -1 || clock.GetUtcNow().UtcDateTime >= link.ExpiresAt)
            return null;
        return link;
    }
}
