using System.Net;

namespace Latchkey.Authorization;

/// <summary>Brute-force limits (configuration section "Security").</summary>
public sealed class ThrottleOptions
{
    /// <summary>Failed credentials from one client address within <see cref="FailureWindow"/> before it is refused.</summary>
    public int FailureLimit { get; set; } = 10;
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Web sign-in lockout of an account after 10 failed passwords (Identity's lockout).</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<ThrottleOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ThrottleOptions options) => Hosting.OptionRules.Check(
            Hosting.OptionRules.AtLeast("Security:FailureLimit", options.FailureLimit, 1),
            Hosting.OptionRules.Positive("Security:FailureWindow", options.FailureWindow),
            Hosting.OptionRules.Positive("Security:LockoutDuration", options.LockoutDuration));
    }
}

/// <summary>
/// One throttle for every door: failed web sign-ins, and bad tokens or passwords over git and the API,
/// count against the client's address. Past the limit that address is refused (429) until its oldest
/// failure leaves the window. Accounts are never locked by token failures, so guessing at someone's
/// password cannot cut them off from their tokens; web sign-in additionally has Identity's lockout.
/// The counts live in <see cref="ICounters"/>: per process on SQLite, shared by all nodes on PostgreSQL.
/// </summary>
public sealed class CredentialThrottle(ICounters counters, TimeProvider clock, Microsoft.Extensions.Options.IOptions<ThrottleOptions> options)
{
    /// <summary>How long the address must wait, or null when it may try.</summary>
    public async ValueTask<TimeSpan?> RetryAfterAsync(IPAddress? address, CancellationToken cancel = default)
    {
        var (count, oldest) = await counters.FailuresAsync(Key(address), options.Value.FailureWindow, cancel);
        if (count < options.Value.FailureLimit)
            return null;
        var wait = oldest + options.Value.FailureWindow - clock.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : null;
    }

    public ValueTask RecordFailureAsync(IPAddress? address, CancellationToken cancel = default) =>
        counters.RecordFailureAsync(Key(address), options.Value.FailureWindow, cancel);

    /// <summary>Whole seconds for a Retry-After header, never zero.</summary>
    public static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    /// <summary>
    /// The address failures count against: an IPv4 address, or an IPv6 address's /64 (the network one
    /// client gets; changing the last 64 bits must not escape the limit).
    /// </summary>
    public static string Key(IPAddress? address)
    {
        if (address is null)
            return "ip:unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
            return "ip:" + address;
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return "ip:" + new IPAddress(bytes) + "/64";
    }
}
