using System.Net;
using Latchkey.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Tests.Unit;

/// <summary>Failures count per IPv4 address and per IPv6 /64: the last 64 bits do not escape the limit.</summary>
public sealed class ThrottleKeyTests
{
    [Fact]
    public async Task An_ipv6_client_that_changes_its_last_64_bits_stays_throttled_and_its_neighbours_do_not()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new CredentialThrottle(new MemoryCounters(clock), clock, Options.Create(new ThrottleOptions { FailureLimit = 3 }));
        for (var i = 1; i <= 3; i++)
            await throttle.RecordTokenFailureAsync(IPAddress.Parse($"2001:db8:1:2::{i:x}"));

        Assert.NotNull(await throttle.TokenRetryAfterAsync(IPAddress.Parse("2001:db8:1:2:dead:beef:0:1")));
        Assert.Null(await throttle.TokenRetryAfterAsync(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Null(await throttle.TokenRetryAfterAsync(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Ipv4_addresses_count_alone_and_a_mapped_one_counts_as_itself()
    {
        Assert.NotEqual(CredentialThrottle.Key(IPAddress.Parse("192.0.2.1")), CredentialThrottle.Key(IPAddress.Parse("192.0.2.2")));
        Assert.Equal(CredentialThrottle.Key(IPAddress.Parse("192.0.2.1")), CredentialThrottle.Key(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.Equal("ip:2001:db8:1:2::/64", CredentialThrottle.Key(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
    }

    [Fact]
    public async Task Password_failures_count_per_account_and_address_and_per_address_with_the_higher_limit()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new CredentialThrottle(new MemoryCounters(clock), clock, Options.Create(new ThrottleOptions { FailureLimit = 3, AddressFailureLimit = 5 }));
        var office = IPAddress.Parse("192.0.2.1");
        for (var i = 0; i < 3; i++)
            await throttle.RecordPasswordFailureAsync("Bob", office);

        Assert.NotNull(await throttle.PasswordRetryAfterAsync("bob", office));
        Assert.Null(await throttle.PasswordRetryAfterAsync("bob", IPAddress.Parse("192.0.2.2")));
        Assert.Null(await throttle.PasswordRetryAfterAsync("alice", office));
        // Passwords do not count against the address's tokens.
        Assert.Null(await throttle.TokenRetryAfterAsync(office));

        await throttle.RecordPasswordFailureAsync("carol", office);
        await throttle.RecordPasswordFailureAsync("dave", office);
        Assert.NotNull(await throttle.PasswordRetryAfterAsync("alice", office));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await throttle.PasswordRetryAfterAsync("alice", office));
    }
}
