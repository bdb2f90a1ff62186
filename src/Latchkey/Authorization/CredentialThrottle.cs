using System.Collections.Concurrent;
using System.Net;

namespace Latchkey.Authorization;

/// <summary>Brute-force limits (configuration section "Security").</summary>
public sealed class ThrottleOptions
{
    /// <summary>Failed credentials from one client address within <see cref="FailureWindow"/> before it is refused.</summary>
    public int FailureLimit { get; set; } = 10;
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// One throttle for every door: failed web sign-ins, and bad tokens or passwords over git and the API,
/// count against the client's address. Past the limit that address is refused (429) until its oldest
/// failure leaves the window. Accounts are never locked by token failures, so guessing at someone's
/// password cannot cut them off from their tokens; web sign-in additionally has Identity's lockout.
/// Counts are per server process (REVIEW: shared counts across nodes come with production mode).
/// </summary>
public sealed class CredentialThrottle(TimeProvider clock, Microsoft.Extensions.Options.IOptions<ThrottleOptions> options)
{
    private const int MaxTrackedAddresses = 100_000;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the address must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        if (!_failures.TryGetValue(Key(address), out var queue))
            return null;
        var now = clock.GetUtcNow();
        lock (queue)
        {
            Trim(queue, now);
            if (queue.Count < options.Value.FailureLimit)
                return null;
            var wait = queue.Peek() + options.Value.FailureWindow - now;
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    public void RecordFailure(IPAddress? address)
    {
        var now = clock.GetUtcNow();
        if (_failures.Count >= MaxTrackedAddresses)
            Sweep(now);
        var queue = _failures.GetOrAdd(Key(address), _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Trim(queue, now);
            queue.Enqueue(now);
        }
    }

    /// <summary>Whole seconds for a Retry-After header, never zero.</summary>
    public static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    private void Trim(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && now - queue.Peek() >= options.Value.FailureWindow)
            queue.Dequeue();
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, queue) in _failures)
        {
            lock (queue)
            {
                Trim(queue, now);
                if (queue.Count == 0)
                    _failures.TryRemove(key, out _);
            }
        }
    }

    private static string Key(IPAddress? address) => (address?.IsIPv4MappedToIPv6 == true ? address.MapToIPv4() : address)?.ToString() ?? "unknown";
}
