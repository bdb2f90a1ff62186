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
    public static string? NetworkOf(string? address) =>
        address is not null && IPAddress.TryParse(address, out var parsed) ? NetworkOf(parsed) : null;

    public static string? NetworkOf(IPAddress? parsed)
    {
        if (parsed is null)
            return null;
        if (parsed.IsIPv4MappedToIPv6)
            parsed = parsed.MapToIPv4();
        var bytes = parsed.GetAddressBytes();
        var prefix = parsed.AddressFamily == AddressFamily.InterNetworkV6 ? 48 : 24;
        Array.Clear(bytes, prefix / 8, bytes.Length - prefix / 8);
        return new IPAddress(bytes) + "/" + prefix;
    }

    /// <summary>
    /// <c>revoked</c> (kept for the inventory after its revocation), <c>expired</c> (at its effective
    /// expiry, the site's lifetime limit included) or <c>active</c>.
    /// </summary>
    public static string StateOf(PersonalAccessToken token, DateTime? effectiveExpiry, DateTime nowUtc) =>
        token.RevokedAt is not null ? "revoked" : effectiveExpiry is { } expires && nowUtc >= expires ? "expired" : "active";
}

/// <summary>
/// A token's allowed networks (issue #18): one IPv4/IPv6 address or CIDR per line, stored as
/// canonical CIDRs. A token with a list is refused from any address outside it, on every door.
/// </summary>
public static class AllowedNetworks
{
    public const int MaxEntries = 50;

    /// <summary>The refusal on every door; it never lists the networks.</summary>
    public const string RefusedMessage = "This personal access token is limited to its allowed networks, and this request did not come from one of them.";

    /// <summary>Room for <see cref="MaxEntries"/> IPv6 CIDRs in their longest form.</summary>
    public const int MaxStoredLength = MaxEntries * 44;

    /// <summary>
    /// Parses what a person typed or an API body listed: blank lines and spaces are ignored, a bare
    /// address is its /32 or /128, host bits past the prefix are cleared (10.1.2.3/8 is 10.0.0.0/8).
    /// Null entries when one is wrong, with a message naming it.
    /// </summary>
    public static (List<IPNetwork>? Networks, string? Error) Parse(IEnumerable<string?> lines)
    {
        var networks = new List<IPNetwork>();
        foreach (var raw in lines)
        {
            var line = raw?.Trim() ?? "";
            if (line.Length == 0)
                continue;
            if (line.Length > 64 || !TryParseOne(line, out var network))
                return (null, $"\"{(line.Length > 64 ? line[..64] + "…" : line)}\" is not an IP address or a CIDR range such as 203.0.113.0/24 or 2001:db8::/48.");
            if (!networks.Contains(network))
                networks.Add(network);
        }
        if (networks.Count > MaxEntries)
            return (null, $"A token may list at most {MaxEntries} allowed networks.");
        return (networks, null);
    }

    public static (List<IPNetwork>? Networks, string? Error) Parse(string? text) =>
        Parse((text ?? "").Split('\n'));

    /// <summary>The stored form (null for none).</summary>
    public static string? Store(IReadOnlyCollection<IPNetwork> networks) =>
        networks.Count == 0 ? null : string.Join('\n', networks.Select(n => n.ToString()));

    /// <summary>The stored form read back (stored values were canonical; anything unreadable is left out, never widened to "anywhere").</summary>
    public static IReadOnlyList<IPNetwork>? Stored(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
            return null;
        var networks = new List<IPNetwork>();
        foreach (var line in stored.Split('\n'))
            if (TryParseOne(line, out var network))
                networks.Add(network);
        return networks;
    }

    public static IReadOnlyList<string> Lines(string? stored) => Stored(stored)?.Select(n => n.ToString()).ToList() ?? [];

    /// <summary>Whether a request from <paramref name="address"/> may use a token with these networks (null: any address).</summary>
    public static bool Allows(IReadOnlyList<IPNetwork>? networks, IPAddress? address)
    {
        if (networks is null)
            return true;
        if (address is null)
            return false;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var network in networks)
            if (network.Contains(address))
                return true;
        return false;
    }

    /// <summary>Whether every network of <paramref name="narrower"/> lies inside one of <paramref name="wider"/> (a token narrowing itself).</summary>
    public static bool IsWithin(IReadOnlyCollection<IPNetwork> narrower, IReadOnlyList<IPNetwork> wider) =>
        narrower.All(n => wider.Any(w => w.BaseAddress.AddressFamily == n.BaseAddress.AddressFamily
            && w.PrefixLength <= n.PrefixLength && w.Contains(n.BaseAddress)));

    private static bool TryParseOne(string text, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
            return false;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > bits))
            return false;
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }
}
