using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>What a token looks like and how typos in it are caught offline.</summary>
public sealed class TokenFormatTests
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    [Fact]
    public void A_classic_token_is_40_base62_characters_after_the_lkp_prefix()
    {
        for (var i = 0; i < 200; i++)
        {
            var token = TokenFormat.Generate(TokenKind.Classic);

            Assert.Equal(40, token.Length);
            Assert.Equal(TokenFormat.TotalLength, token.Length);
            Assert.StartsWith("lkp_", token, StringComparison.Ordinal);
            Assert.All(token[4..], c => Assert.Contains(c, Base62));
            Assert.True(TokenFormat.TryParse(token, out var kind), token);
            Assert.Equal(TokenKind.Classic, kind);
            Assert.True(TokenFormat.LooksLikeToken(token));
        }
    }

    [Fact]
    public void A_fine_grained_token_has_the_lkf_prefix_and_parses_as_fine_grained()
    {
        var token = TokenFormat.Generate(TokenKind.FineGrained);

        Assert.Equal(40, token.Length);
        Assert.StartsWith("lkf_", token, StringComparison.Ordinal);
        Assert.True(TokenFormat.TryParse(token, out var kind));
        Assert.Equal(TokenKind.FineGrained, kind);
    }

    [Fact]
    public void The_last_six_characters_are_the_checksum_of_the_random_part()
    {
        var token = TokenFormat.Generate(TokenKind.Classic);
        var random = token.Substring(4, TokenFormat.RandomLength);

        Assert.Equal(token[^TokenFormat.ChecksumLength..], TokenFormat.Checksum(random));
    }

    [Fact]
    public void Two_generated_tokens_differ()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 1000; i++)
            Assert.True(seen.Add(TokenFormat.Generate(TokenKind.Classic)));
    }

    [Fact]
    public void Changing_any_single_character_of_the_random_or_checksum_part_is_rejected()
    {
        for (var n = 0; n < 50; n++)
        {
            var token = TokenFormat.Generate(n % 2 == 0 ? TokenKind.Classic : TokenKind.FineGrained);
            for (var position = 4; position < token.Length; position++)
            {
                foreach (var replacement in Base62)
                {
                    if (replacement == token[position])
                        continue;
                    var typo = string.Concat(token.AsSpan(0, position), replacement.ToString(), token.AsSpan(position + 1));
                    Assert.False(TokenFormat.TryParse(typo, out _), $"{typo} (from {token}) was accepted");
                }
            }
        }
    }

    [Fact]
    public void Swapping_two_adjacent_different_characters_is_rejected()
    {
        for (var n = 0; n < 50; n++)
        {
            var token = TokenFormat.Generate(TokenKind.Classic);
            for (var position = 4; position < token.Length - 1; position++)
            {
                if (token[position] == token[position + 1])
                    continue;
                var chars = token.ToCharArray();
                (chars[position], chars[position + 1]) = (chars[position + 1], chars[position]);
                var typo = new string(chars);
                Assert.False(TokenFormat.TryParse(typo, out _), $"{typo} (from {token}) was accepted");
            }
        }
    }

    [Theory]
    [InlineData("lkx_")]
    [InlineData("ghp_")]
    [InlineData("LKP_")]
    [InlineData("lkp-")]
    public void A_wrong_prefix_is_rejected(string prefix)
    {
        var token = TokenFormat.Generate(TokenKind.Classic);
        var other = prefix + token[4..];

        Assert.False(TokenFormat.TryParse(other, out _));
        Assert.False(TokenFormat.LooksLikeToken(other));
    }

    [Fact]
    public void A_token_that_is_too_short_or_too_long_is_rejected()
    {
        var token = TokenFormat.Generate(TokenKind.Classic);

        Assert.False(TokenFormat.TryParse(token[..^1], out _));
        Assert.False(TokenFormat.TryParse(token + "0", out _));
        Assert.False(TokenFormat.TryParse(token + " ", out _));
        Assert.False(TokenFormat.TryParse(" " + token, out _));
        Assert.False(TokenFormat.TryParse("lkp_", out _));
        Assert.False(TokenFormat.TryParse("", out _));
        Assert.False(TokenFormat.TryParse(null, out _));
        Assert.False(TokenFormat.LooksLikeToken(token[..^1]));
        Assert.False(TokenFormat.LooksLikeToken(null));
    }

    [Theory]
    [InlineData('é')]
    [InlineData('٣')] // Arabic-Indic digit three: a digit, but not an ASCII one
    [InlineData('Ａ')] // fullwidth A
    [InlineData('_')]
    [InlineData('-')]
    [InlineData(' ')]
    [InlineData('\0')]
    public void A_character_outside_ascii_base62_is_rejected(char bad)
    {
        var token = TokenFormat.Generate(TokenKind.Classic);
        for (var position = 4; position < token.Length; position++)
        {
            var typo = string.Concat(token.AsSpan(0, position), bad.ToString(), token.AsSpan(position + 1));
            Assert.False(TokenFormat.TryParse(typo, out _), $"{typo} was accepted");
        }
    }

    [Fact]
    public void A_token_with_the_right_shape_but_a_bad_checksum_still_looks_like_a_token()
    {
        // Scanners use LooksLikeToken to find candidates; TryParse is what rejects noise.
        var fake = "lkp_" + new string('a', TokenFormat.RandomLength) + "000000";

        Assert.True(TokenFormat.LooksLikeToken(fake));
        Assert.False(TokenFormat.TryParse(fake, out _));
    }

    [Fact]
    public void The_checksum_is_six_base62_digits_left_padded_with_zero()
    {
        var checksum = TokenFormat.Checksum(new string('0', TokenFormat.RandomLength));

        Assert.Equal(6, checksum.Length);
        Assert.All(checksum, c => Assert.Contains(c, Base62));
    }
}
