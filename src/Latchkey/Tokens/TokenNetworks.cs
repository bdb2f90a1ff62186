using System.Net;
using System.Net.Sockets;

namespace Latchkey.Tokens;

/// <summary>
/// The network a token was used from, as the token object names it (<c>last_used_ip_network</c>):
/// an IPv4 address's /24, an IPv6 address's /48 — the unit a person recognises ("my office"), never
/// the exact address of someone else's request.
/// </summary>
public static class TokenNetworks
{
    public static string? NetworkOf(string? address)
    {
        if (address is null || !IPAddress.TryParse(address, out var parsed))
            return null;
        if (parsed.IsIPv4MappedToIPv6)
            parsed = parsed.MapToIPv4();
        var bytes = parsed.GetAddressBytes();
        var prefix = parsed.AddressFamily == AddressFamily.InterNetworkV6 ? 48 : 24;
        Array.Clear(bytes, prefix / 8, bytes.Length - prefix / 8);
        return new IPAddress(bytes) + "/" + prefix;
    }

    /// <summary>
    /// <c>active</c> or <c>expired</c> (at its effective expiry, the site's lifetime limit included).
    /// A revoked token is deleted, so an answer about a stored token never says <c>revoked</c>; the
    /// inventory names revoked ones from the security log.
    /// </summary>
    public static string StateOf(DateTime? effectiveExpiry, DateTime nowUtc) =>
        effectiveExpiry is { } expires && nowUtc >= expires ? "expired" : "active";
}
