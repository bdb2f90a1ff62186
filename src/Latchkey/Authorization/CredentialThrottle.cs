using System.Net;

namespace Latchkey.Authorization;

/// <summary>Brute-force limits (configuration section "Security").</summary>
public sealed class ThrottleOptions
{
    /// <summary>
    /// Failed credentials within <see cref="FailureWindow"/> before further failures are refused: bad
    /// tokens per client address, passwords per account and address.
    /// </summary>
    public int FailureLimit { get; set; } = 10;

    /// <summary>Failed passwords from one address for any accounts (password spraying) before its password failures are refused.</summary>
    public int AddressFailureLimit { get; set; } = 100;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Web sign-in lockout of an account after 10 failed passwords (Identity's lockout).</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<ThrottleOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ThrottleOptions options) => Hosting.OptionRules.Check(
            Hosting.OptionRules.AtLeast("Security:FailureLimit", options.FailureLimit, 1),
            Hosting.OptionRules.AtLeast("Security:AddressFailureLimit", options.AddressFailureLimit, 1),
            Hosting.OptionRules.Positive("Security:FailureWindow", options.FailureWindow),
            Hosting.OptionRules.Positive("Security:LockoutDuration", options.LockoutDuration));
    }
}

/// <summary>
/// One throttle for every door. Only failures count, and only failures are ever refused (429 with
/// Retry-After, neither counted nor logged again): a credential that verifies is accepted whatever
/// came before it. What a failure counts against:
/// <list type="bullet">
/// <item>a bad token, against the client's address (an IPv6 client's /64): tokens carry no account name;</item>
/// <item>a password (web sign-in, sudo, or one sent to git or the API), against the account and the
/// address together, so one person's typos behind an office's address lock out neither their
/// colleagues nor, from elsewhere, themselves; and against the address alone with the much higher
/// <see cref="ThrottleOptions.AddressFailureLimit"/>, which stops one address trying many accounts.</item>
/// </list>
/// A count is a fixed window from its first failure (one row per key, updated in place, in
/// <see cref="ICounters"/>: per process on SQLite, shared by all nodes on PostgreSQL). Accounts are
/// never locked by token failures; web sign-in additionally has Identity's lockout.
/// </summary>
public sealed class CredentialThrottle(ICounters counters, TimeProvider clock, Microsoft.Extensions.Options.IOptions<ThrottleOptions> options)
{
    private ThrottleOptions Options => options.Value;

    /// <summary>How long failed tokens from the address must wait, or null when it may try.</summary>
    public ValueTask<TimeSpan?> TokenRetryAfterAsync(IPAddress? address, CancellationToken cancel = default) =>
        RetryAfterAsync(Key(address), Options.FailureLimit, cancel);

    public async ValueTask RecordTokenFailureAsync(IPAddress? address, CancellationToken cancel = default) =>
        await counters.AddAsync(Failures + Key(address), 1, Options.FailureWindow, cancel);

    /// <summary>How long failed passwords for the account from the address must wait, or null when they may try.</summary>
    public async ValueTask<TimeSpan?> PasswordRetryAfterAsync(string account, IPAddress? address, CancellationToken cancel = default) =>
        await RetryAfterAsync(Key(account, address), Options.FailureLimit, cancel)
        ?? await RetryAfterAsync(PasswordsFrom + Key(address), Options.AddressFailureLimit, cancel);

    public async ValueTask RecordPasswordFailureAsync(string account, IPAddress? address, CancellationToken cancel = default)
    {
        await counters.AddAsync(Failures + Key(account, address), 1, Options.FailureWindow, cancel);
        await counters.AddAsync(Failures + PasswordsFrom + Key(address), 1, Options.FailureWindow, cancel);
    }

    private async ValueTask<TimeSpan?> RetryAfterAsync(string key, int limit, CancellationToken cancel)
    {
        var (start, used) = await counters.AddAsync(Failures + key, 0, Options.FailureWindow, cancel);
        if (used < limit)
            return null;
        var wait = start + Options.FailureWindow - clock.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : null;
    }

    // Prefixes keep these counts apart from the API's rate-limit windows in the same table.
    private const string Failures = "failures:";
    private const string PasswordsFrom = "passwords-from:";

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

    /// <summary>
    /// An account (its name or e-mail as typed, case-folded) at an address. The account is hashed: the
    /// key's length stays fixed and no typed name or e-mail address is kept in the counts.
    /// </summary>
    public static string Key(string account, IPAddress? address)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(account.Trim().ToUpperInvariant()));
        return "account:" + Convert.ToHexStringLower(hash, 0, 16) + "@" + Key(address);
    }
}
