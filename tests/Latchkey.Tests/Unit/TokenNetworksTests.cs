using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>A token's last-used network is the address's IPv4 /24 or IPv6 /48; its state follows its effective expiry.</summary>
public sealed class TokenNetworksTests
{
    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.0/24")]
    [InlineData("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48")]
    [InlineData("not an address", null)]
    [InlineData(null, null)]
    public void An_address_is_named_by_its_network(string? address, string? network) =>
        Assert.Equal(network, TokenNetworks.NetworkOf(address));

    [Fact]
    public void A_token_is_expired_from_its_effective_expiry_on_and_revoked_whatever_its_expiry()
    {
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var token = new PersonalAccessToken { Note = "n", Digest = [], LastEight = "abcdefgh" };
        Assert.Equal("active", TokenNetworks.StateOf(token, null, now));
        Assert.Equal("active", TokenNetworks.StateOf(token, now.AddSeconds(1), now));
        Assert.Equal("expired", TokenNetworks.StateOf(token, now, now));
        Assert.Equal("expired", TokenNetworks.StateOf(token, now.AddDays(-1), now));
        token.RevokedAt = now.AddHours(-1);
        Assert.Equal("revoked", TokenNetworks.StateOf(token, null, now));
        Assert.Equal("revoked", TokenNetworks.StateOf(token, now.AddDays(-1), now));
    }
}
