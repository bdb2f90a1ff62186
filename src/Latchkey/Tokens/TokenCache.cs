using System.Collections.Concurrent;
using Latchkey.Accounts;

namespace Latchkey.Tokens;

/// <summary>
/// One row (table CredentialEpochs, Id 1) whose value database triggers raise whenever anything a
/// cached credential depends on changes: a token deleted or changed (not its "last used"), a token's
/// selected repositories, any change to an account. Every writer raises it, whoever it is: this node,
/// another node, the admin command line, a bulk delete.
/// </summary>
public sealed class CredentialEpoch
{
    public int Id { get; set; }
    public long Value { get; set; }
}

/// <summary>
/// Verified tokens, by digest, with the epoch they were read at. Each request reads the epoch (one
/// primary-key lookup) and uses a cached token only when the epoch has not moved since it was read;
/// otherwise the cache is emptied and the token read again. So a revoked, changed or suspended
/// credential is refused on every node at its next request, while an unchanged one costs no token
/// query. Expiry needs no epoch: it is checked against the clock on every use. Unknown tokens are
/// never cached. Entries hold immutable snapshots, never tracked entities: the account is copied
/// for each request that uses it, and the "last used" write is claimed atomically, so concurrent
/// requests on one token share nothing they could change.
/// </summary>
public sealed class TokenCache
{
    /// <summary>Plenty for every token in active use; past it the cache starts over rather than growing.</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<DigestKey, Entry> _entries = new();
    private long _epoch = long.MinValue;

    /// <summary>One verified token and its owner as read from the database; <see cref="User"/> is this entry's own and must be copied before use.</summary>
    public sealed class Entry(TokenSnapshot token, User user)
    {
        private long _lastUsedTicks = token.LastUsedAt?.Ticks ?? 0;
        private long _overlapLoggedTicks;

        public TokenSnapshot Token { get; } = token;
        public User User { get; } = user;

        /// <summary>
        /// True for exactly one caller per <paramref name="resolution"/>: the one that should write
        /// "last used" now (however many requests use the token at once).
        /// </summary>
        public bool ClaimLastUsedWrite(DateTime now, TimeSpan resolution) => Claim(ref _lastUsedTicks, now, resolution);

        /// <summary>As <see cref="ClaimLastUsedWrite"/>, for the security-log line of a rotated token's use in its overlap (the first use, then one a minute).</summary>
        public bool ClaimOverlapLog(DateTime now, TimeSpan resolution) => Claim(ref _overlapLoggedTicks, now, resolution);

        /// <summary>
        /// The networks this node has recorded for the token while this entry lives, each with when its
        /// "last seen" was last written (<see cref="NewNetworkAlerts"/>): a request from a known network
        /// costs this lookup and nothing else.
        /// </summary>
        private readonly ConcurrentDictionary<string, long> _networks = new(StringComparer.Ordinal);

        /// <summary>Past this many networks for one token the set starts over (recording again is harmless: the row is there).</summary>
        public const int MaxNetworks = 256;

        /// <summary>
        /// What a use from <paramref name="network"/> asks of the database: <see cref="NetworkSight.New"/>
        /// for exactly one caller, the first on this node (record the sighting), <see cref="NetworkSight.Due"/>
        /// for one caller per <paramref name="resolution"/> after that ("last seen" is due), otherwise nothing.
        /// </summary>
        public NetworkSight SeeNetwork(string network, DateTime now, TimeSpan resolution)
        {
            if (_networks.TryGetValue(network, out var ticks))
                return now.Ticks - ticks >= resolution.Ticks && _networks.TryUpdate(network, now.Ticks, ticks) ? NetworkSight.Due : NetworkSight.Known;
            if (_networks.Count >= MaxNetworks)
                _networks.Clear();
            return _networks.TryAdd(network, now.Ticks) ? NetworkSight.New : NetworkSight.Known;
        }

        /// <summary>Forgets a network whose sighting could not be written, so the next use tries again.</summary>
        public void ForgetNetwork(string network) => _networks.TryRemove(network, out _);

        private static bool Claim(ref long ticks, DateTime now, TimeSpan resolution)
        {
            while (true)
            {
                var last = Interlocked.Read(ref ticks);
                if (last != 0 && now.Ticks - last < resolution.Ticks)
                    return false;
                if (Interlocked.CompareExchange(ref ticks, now.Ticks, last) == last)
                    return true;
            }
        }
    }

    /// <summary>The cached token for this digest, valid at <paramref name="epoch"/>, or null.</summary>
    public Entry? Find(byte[] digest, long epoch)
    {
        if (Volatile.Read(ref _epoch) != epoch)
            return null;
        return _entries.TryGetValue(new DigestKey(digest), out var entry) ? entry : null;
    }

    /// <summary>Keeps a token read at <paramref name="epoch"/> (read before the token itself, so a change in between shows as a newer epoch).</summary>
    public void Keep(byte[] digest, long epoch, Entry entry)
    {
        var current = Volatile.Read(ref _epoch);
        if (epoch < current)
            return;
        if (epoch > current || _entries.Count >= MaxEntries)
        {
            lock (_entries)
            {
                if (epoch > Volatile.Read(ref _epoch) || _entries.Count >= MaxEntries)
                {
                    _entries.Clear();
                    Volatile.Write(ref _epoch, epoch);
                }
            }
        }
        if (Volatile.Read(ref _epoch) == epoch)
            _entries[new DigestKey(digest)] = entry;
    }

    /// <summary>What <see cref="Entry.SeeNetwork"/> found.</summary>
    public enum NetworkSight
    {
        /// <summary>Seen from this network on this node lately: nothing to write.</summary>
        Known,

        /// <summary>Not seen from it on this node since the entry was read: record the sighting (insert or update).</summary>
        New,

        /// <summary>Seen, and its "last seen" is older than the resolution: write it again.</summary>
        Due,
    }

    /// <summary>A digest as a dictionary key, compared by content.</summary>
    private readonly struct DigestKey(byte[] digest) : IEquatable<DigestKey>
    {
        private readonly byte[] _digest = digest;

        public bool Equals(DigestKey other) => _digest.AsSpan().SequenceEqual(other._digest);

        public override bool Equals(object? obj) => obj is DigestKey other && Equals(other);

        // The digest is an HMAC: its first bytes are as good a hash as any.
        public override int GetHashCode() => BitConverter.ToInt32(_digest, 0);
    }
}
