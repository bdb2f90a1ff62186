using System.Security.Cryptography;
using Latchkey.Tokens;
using Microsoft.Extensions.Configuration;

namespace Latchkey.Tests.Unit;

/// <summary>The HMAC the database stores instead of a token, and the server key behind it.</summary>
public sealed class TokenDigestTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("latchkey-digest-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private static IConfiguration Configuration(string? hmacKey = null) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(hmacKey is null ? [] : [new KeyValuePair<string, string?>("Tokens:HmacKey", hmacKey)])
            .Build();

    private string KeyPath => Path.Combine(_dataDirectory, "token-hmac.key");

    [Fact]
    public void The_same_token_gives_the_same_digest()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var token = TokenFormat.Generate(TokenKind.Classic);

        var first = new TokenDigest(key).Compute(token);
        var second = new TokenDigest((byte[])key.Clone()).Compute(token);

        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
    }

    [Fact]
    public void The_digest_is_HMAC_SHA256_of_the_whole_token()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var token = TokenFormat.Generate(TokenKind.Classic);

        Assert.Equal(HMACSHA256.HashData(key, System.Text.Encoding.ASCII.GetBytes(token)), new TokenDigest(key).Compute(token));
    }

    [Fact]
    public void Different_tokens_give_different_digests()
    {
        var digest = new TokenDigest(RandomNumberGenerator.GetBytes(32));
        var token = TokenFormat.Generate(TokenKind.Classic);
        var sameSecretOtherKind = TokenFormat.FineGrainedPrefix + token[4..];

        Assert.NotEqual(digest.Compute(token), digest.Compute(TokenFormat.Generate(TokenKind.Classic)));
        Assert.NotEqual(digest.Compute(token), digest.Compute(sameSecretOtherKind));
    }

    [Fact]
    public void A_different_key_gives_a_different_digest()
    {
        var token = TokenFormat.Generate(TokenKind.Classic);

        var one = new TokenDigest(RandomNumberGenerator.GetBytes(32)).Compute(token);
        var other = new TokenDigest(RandomNumberGenerator.GetBytes(32)).Compute(token);

        Assert.NotEqual(one, other);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    public void A_key_shorter_than_32_bytes_is_refused(int length)
    {
        var error = Assert.Throws<ArgumentException>(() => new TokenDigest(new byte[length]));

        Assert.Equal("key", error.ParamName);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void A_key_of_32_bytes_or_more_is_accepted(int length)
    {
        Assert.Equal(32, new TokenDigest(RandomNumberGenerator.GetBytes(length)).Compute("x").Length);
    }

    [Fact]
    public void Without_configuration_a_key_file_is_created_once_and_reused()
    {
        var token = TokenFormat.Generate(TokenKind.Classic);

        var first = TokenDigest.FromConfiguration(Configuration(), _dataDirectory);
        Assert.True(File.Exists(KeyPath));
        var key = File.ReadAllBytes(KeyPath);
        Assert.Equal(32, key.Length);

        var second = TokenDigest.FromConfiguration(Configuration(), _dataDirectory);

        Assert.Equal(key, File.ReadAllBytes(KeyPath));
        Assert.Equal(first.Compute(token), second.Compute(token));
        Assert.Equal(new TokenDigest(key).Compute(token), second.Compute(token));
        Assert.Single(Directory.GetFiles(_dataDirectory));
    }

    [Fact]
    public void Two_data_directories_get_different_keys()
    {
        var otherDirectory = Directory.CreateTempSubdirectory("latchkey-digest-").FullName;
        try
        {
            var token = TokenFormat.Generate(TokenKind.Classic);
            var here = TokenDigest.FromConfiguration(Configuration(), _dataDirectory).Compute(token);
            var there = TokenDigest.FromConfiguration(Configuration(), otherDirectory).Compute(token);

            Assert.NotEqual(here, there);
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

    [Fact]
    public void The_created_key_file_is_readable_by_its_owner_only()
    {
        TokenDigest.FromConfiguration(Configuration(), _dataDirectory);

        var mode = File.GetUnixFileMode(KeyPath);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void A_configured_base64_key_is_used_instead_of_a_file()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var token = TokenFormat.Generate(TokenKind.Classic);

        var digest = TokenDigest.FromConfiguration(Configuration(Convert.ToBase64String(key)), _dataDirectory);

        Assert.Equal(new TokenDigest(key).Compute(token), digest.Compute(token));
        Assert.False(File.Exists(KeyPath));
    }

    [Fact]
    public void A_configured_key_that_is_too_short_is_refused()
    {
        var shortKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

        Assert.Throws<ArgumentException>(() => TokenDigest.FromConfiguration(Configuration(shortKey), _dataDirectory));
    }
}
