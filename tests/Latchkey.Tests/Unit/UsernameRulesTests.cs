using Latchkey.Accounts;

namespace Latchkey.Tests.Unit;

/// <summary>GitHub's username rules: letters, digits, single inner hyphens, at most 39 characters.</summary>
public sealed class UsernameRulesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("alice")]
    [InlineData("Alice")]
    [InlineData("a-b")]
    [InlineData("a-b-c")]
    [InlineData("0")]
    [InlineData("user42")]
    [InlineData("42user")]
    [InlineData("mona-lisa-octocat")]
    public void Accepts_letters_digits_and_single_inner_hyphens(string username)
    {
        Assert.Null(UsernameRules.Validate(username));
    }

    [Fact]
    public void Accepts_exactly_39_characters()
    {
        Assert.Null(UsernameRules.Validate(new string('a', 39)));
        Assert.Null(UsernameRules.Validate("a-" + new string('b', 37)));
    }

    [Fact]
    public void Refuses_40_characters_and_says_so()
    {
        var error = UsernameRules.Validate(new string('a', 40));

        Assert.NotNull(error);
        Assert.Contains("too long", error, StringComparison.Ordinal);
        Assert.Contains("39", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-ab")]
    [InlineData("ab-")]
    [InlineData("a--b")]
    [InlineData("-")]
    [InlineData("--")]
    [InlineData("a_b")]
    [InlineData("a.b")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("al@ce")]
    [InlineData("alicé")]
    [InlineData("аlice")] // Cyrillic а
    [InlineData("ａlice")] // fullwidth a
    [InlineData("..")]
    public void Refuses_anything_else(string username)
    {
        var error = UsernameRules.Validate(username);

        Assert.NotNull(error);
        Assert.Contains("alphanumeric", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice\n")]
    [InlineData("a-b\n")]
    public void Refuses_a_trailing_newline(string username)
    {
        // A "$" anchor in .NET also matches before a final "\n"; "alice\n" must not pass as "alice".
        Assert.NotNull(UsernameRules.Validate(username));
    }

    [Theory]
    [InlineData("\nalice")]
    [InlineData("alice\r\n")]
    [InlineData(" alice")]
    [InlineData("alice ")]
    [InlineData("al\nce")]
    public void Refuses_other_whitespace(string username)
    {
        Assert.NotNull(UsernameRules.Validate(username));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Refuses_a_missing_username(string? username)
    {
        Assert.Equal("Username is required.", UsernameRules.Validate(username));
    }

    [Theory]
    [InlineData("settings")]
    [InlineData("Settings")]
    [InlineData("SETTINGS")]
    [InlineData("login")]
    [InlineData("api")]
    [InlineData("new")]
    [InlineData("admin")]
    [InlineData("latchkey")]
    public void Refuses_names_that_collide_with_routes_whatever_the_case(string username)
    {
        var error = UsernameRules.Validate(username);

        Assert.NotNull(error);
        Assert.Contains("unavailable", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_upper_cases_for_the_unique_index()
    {
        Assert.Equal("ALICE-1", UsernameRules.Normalize("Alice-1"));
        Assert.Equal(UsernameRules.Normalize("alice"), UsernameRules.Normalize("ALICE"));
    }
}
