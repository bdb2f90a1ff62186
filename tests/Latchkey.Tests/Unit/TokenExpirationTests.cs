using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>The Expiration field of the token form: 7/30/60/90 days, a custom date, or none.</summary>
public sealed class TokenExpirationTests
{
    private static readonly DateTime Now = new(2025, 3, 10, 14, 30, 15, DateTimeKind.Utc);

    private static (bool Ok, DateTime? ExpiresAt, string? Error) Resolve(string? choice, DateOnly? custom = null, DateTime? now = null)
    {
        var ok = TokenRules.TryResolveExpiration(choice, custom, now ?? Now, out var expiresAt, out var error);
        return (ok, expiresAt, error);
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("30", 30)]
    [InlineData("60", 60)]
    [InlineData("90", 90)]
    public void A_preset_expires_that_many_days_from_now(string choice, int days)
    {
        var (ok, expiresAt, error) = Resolve(choice);

        Assert.True(ok);
        Assert.Null(error);
        Assert.Equal(Now.AddDays(days), expiresAt);
        Assert.Equal(DateTimeKind.Utc, expiresAt!.Value.Kind);
    }

    [Fact]
    public void No_expiration_gives_null()
    {
        var (ok, expiresAt, error) = Resolve("none");

        Assert.True(ok);
        Assert.Null(expiresAt);
        Assert.Null(error);
    }

    [Fact]
    public void The_default_is_30_days_and_every_offered_choice_resolves()
    {
        Assert.Equal("30", TokenRules.DefaultExpiration);
        Assert.Contains(TokenRules.ExpirationChoices, c => c.Value == TokenRules.DefaultExpiration);
        foreach (var (value, _) in TokenRules.ExpirationChoices)
        {
            var (ok, _, error) = Resolve(value, new DateOnly(2025, 4, 1));
            Assert.True(ok, $"{value}: {error}");
        }
    }

    [Theory]
    [InlineData(2025, 3, 11)]
    [InlineData(2025, 6, 1)]
    [InlineData(2025, 12, 31)]
    [InlineData(2026, 3, 10)]
    public void A_custom_date_in_the_future_expires_at_the_end_of_that_day_utc(int year, int month, int day)
    {
        var (ok, expiresAt, error) = Resolve("custom", new DateOnly(year, month, day));

        Assert.True(ok, error);
        Assert.Null(error);
        AssertEndOfDay(new DateOnly(year, month, day), expiresAt);
    }

    /// <summary>The last second of the day, or the midnight that ends it: either reads as "through that day".</summary>
    private static void AssertEndOfDay(DateOnly date, DateTime? expiresAt)
    {
        Assert.NotNull(expiresAt);
        Assert.Equal(DateTimeKind.Utc, expiresAt.Value.Kind);
        var lastSecond = date.ToDateTime(new TimeOnly(23, 59, 59), DateTimeKind.Utc);
        Assert.InRange(expiresAt.Value, lastSecond, lastSecond.AddSeconds(1));
    }

    [Fact]
    public void A_custom_date_of_tomorrow_is_accepted_just_before_midnight()
    {
        var lateEvening = new DateTime(2025, 3, 10, 23, 59, 59, DateTimeKind.Utc);

        var (ok, expiresAt, _) = Resolve("custom", new DateOnly(2025, 3, 11), lateEvening);

        Assert.True(ok);
        AssertEndOfDay(new DateOnly(2025, 3, 11), expiresAt);
    }

    [Theory]
    [InlineData(2025, 3, 10)] // today
    [InlineData(2025, 3, 9)]
    [InlineData(2024, 12, 25)]
    public void A_custom_date_today_or_in_the_past_is_refused(int year, int month, int day)
    {
        var (ok, expiresAt, error) = Resolve("custom", new DateOnly(year, month, day));

        Assert.False(ok);
        Assert.Null(expiresAt);
        Assert.Equal("The custom expiration date must be in the future.", error);
    }

    [Fact]
    public void A_custom_date_of_today_is_refused_even_just_after_midnight()
    {
        var (ok, _, error) = Resolve("custom", new DateOnly(2025, 3, 10), new DateTime(2025, 3, 10, 0, 0, 1, DateTimeKind.Utc));

        Assert.False(ok);
        Assert.Equal("The custom expiration date must be in the future.", error);
    }

    [Theory]
    [InlineData(2026, 3, 11)]
    [InlineData(2026, 6, 1)]
    [InlineData(2030, 1, 1)]
    public void A_custom_date_more_than_a_year_ahead_is_refused(int year, int month, int day)
    {
        var (ok, expiresAt, error) = Resolve("custom", new DateOnly(year, month, day));

        Assert.False(ok);
        Assert.Null(expiresAt);
        Assert.Equal("The custom expiration date must be within one year.", error);
    }

    [Fact]
    public void A_custom_date_one_calendar_year_ahead_is_accepted_across_a_leap_day()
    {
        // From 10 March 2027, "one year from today" is 10 March 2028, which is 366 days away because
        // of 29 February 2028. The same choice is accepted from 10 March 2025 (365 days); it should
        // not depend on the year.
        var now = new DateTime(2027, 3, 10, 14, 30, 15, DateTimeKind.Utc);

        var (ok, expiresAt, error) = Resolve("custom", new DateOnly(2028, 3, 10), now);

        Assert.True(ok, error);
        AssertEndOfDay(new DateOnly(2028, 3, 10), expiresAt);
    }

    [Fact]
    public void A_custom_choice_without_a_date_is_refused()
    {
        var (ok, expiresAt, error) = Resolve("custom", null);

        Assert.False(ok);
        Assert.Null(expiresAt);
        Assert.Equal("Choose a date for a custom expiration.", error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("14")]
    [InlineData("365")]
    [InlineData("-7")]
    [InlineData("never")]
    [InlineData("NONE")]
    [InlineData(" 30")]
    public void An_unknown_choice_is_refused(string? choice)
    {
        var (ok, expiresAt, error) = Resolve(choice);

        Assert.False(ok);
        Assert.Null(expiresAt);
        Assert.Equal("Choose an expiration.", error);
    }

    [Fact]
    public void A_preset_ignores_a_custom_date_sent_alongside()
    {
        var (ok, expiresAt, _) = Resolve("7", new DateOnly(2020, 1, 1));

        Assert.True(ok);
        Assert.Equal(Now.AddDays(7), expiresAt);
    }

    [Fact]
    public void A_token_with_a_custom_date_works_during_that_day_and_not_the_next()
    {
        Assert.True(TokenRules.TryResolveExpiration("custom", new DateOnly(2025, 3, 20), Now, out var expiresAt, out _));
        var token = new PersonalAccessToken { Note = "n", Digest = new byte[32], LastEight = "abcdefgh", ExpiresAt = expiresAt };

        Assert.False(token.IsExpired(new DateTime(2025, 3, 20, 0, 0, 0, DateTimeKind.Utc)));
        Assert.False(token.IsExpired(new DateTime(2025, 3, 20, 23, 59, 58, DateTimeKind.Utc)));
        Assert.True(token.IsExpired(new DateTime(2025, 3, 21, 0, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void A_token_with_a_preset_expires_exactly_then()
    {
        Assert.True(TokenRules.TryResolveExpiration("7", null, Now, out var expiresAt, out _));
        var token = new PersonalAccessToken { Note = "n", Digest = new byte[32], LastEight = "abcdefgh", ExpiresAt = expiresAt };

        Assert.False(token.IsExpired(Now.AddDays(7).AddTicks(-1)));
        Assert.True(token.IsExpired(Now.AddDays(7)));
    }

    [Fact]
    public void A_token_without_expiration_never_expires()
    {
        var token = new PersonalAccessToken { Note = "n", Digest = new byte[32], LastEight = "abcdefgh", ExpiresAt = null };

        Assert.False(token.IsExpired(DateTime.MaxValue));
    }
}
