using System.Security.Cryptography;
using Latchkey.Accounts;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Tests.Unit;

/// <summary>ASVS 5.0 V6.2: length 8..256, no composition rules, no common/breached or context-built passwords.</summary>
public sealed class PasswordPolicyTests
{
    private const string Username = "alice";
    private const string Email = "a.liddell@example.com";

    private static string? Check(string password) => PasswordPolicy.Check(password, Username, Email);

    private static string RandomString(int length, string alphabet) => RandomNumberGenerator.GetString(alphabet, length);

    [Fact]
    public void Seven_characters_are_refused_with_the_reason()
    {
        var error = Check("xq7!vbz");

        Assert.NotNull(error);
        Assert.Contains("too short", error, StringComparison.Ordinal);
        Assert.Contains("8", error, StringComparison.Ordinal);
        Assert.Contains("15", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eight_characters_are_accepted_when_not_common()
    {
        Assert.Null(Check("xq7!vbzm"));
    }

    [Fact]
    public void A_random_128_character_password_is_accepted()
    {
        var password = RandomString(128, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{};:,.<>/?");

        Assert.Null(Check(password));
    }

    [Fact]
    public void The_maximum_length_is_accepted_and_one_more_is_refused()
    {
        var lower = "abcdefghijklmnopqrstuvwxyz";
        Assert.Null(Check(RandomString(PasswordRules.MaxLength, lower)));

        var error = Check(RandomString(PasswordRules.MaxLength + 1, lower));
        Assert.NotNull(error);
        Assert.Contains("too long", error, StringComparison.Ordinal);
        Assert.Contains("256", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_random_16_character_all_lowercase_password_is_accepted_without_composition_rules()
    {
        Assert.Null(Check(RandomString(16, "abcdefghijklmnopqrstuvwxyz")));
    }

    [Theory]
    [InlineData("password123")]
    [InlineData("qwertyuiop")]
    [InlineData("iloveyou1")]
    [InlineData("password")]
    [InlineData("12345678")]
    public void Common_passwords_are_refused(string password)
    {
        var error = Check(password);

        Assert.NotNull(error);
        Assert.Contains("commonly used", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PASSWORD123")]
    [InlineData("QwertyUiop")]
    public void The_list_comparison_ignores_case(string password)
    {
        Assert.NotNull(Check(password));
    }

    [Fact]
    public void A_named_entry_deep_in_the_list_is_refused()
    {
        var entries = ListEntries();
        var index = entries.IndexOf("1234567890qwe");

        Assert.True(index > 3000, $"expected the entry beyond the first 3000, found at {index}");
        Assert.NotNull(Check("1234567890qwe"));
    }

    [Fact]
    public void Entries_beyond_the_first_3000_lines_and_the_last_one_are_refused()
    {
        var entries = ListEntries();
        Assert.True(entries.Count > 10_000, $"the list has only {entries.Count} entries");

        foreach (var entry in new[] { entries[3001], entries[entries.Count / 2], entries[^1] })
            Assert.NotNull(Check(entry));
    }

    [Theory]
    [InlineData("latchkey")]
    [InlineData("Latchkey")]
    [InlineData("latchkeylatchkey")]
    [InlineData("latchkey2024!")]
    [InlineData("!latchkey!")]
    [InlineData("alicealice")]
    [InlineData("ALICEALICE")]
    [InlineData("alice2024!")]
    [InlineData("2024alicealice!!")]
    [InlineData("a.liddell")]
    [InlineData("a.liddell1987")]
    public void Context_words_repeated_or_padded_with_digits_and_punctuation_are_refused(string password)
    {
        var error = Check(password);

        Assert.NotNull(error);
        Assert.Contains("username, email or the site name", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice in the latchkey garden")]
    [InlineData("my latchkey is blue")]
    [InlineData("alicexylophone")]
    public void Context_words_inside_longer_passphrases_are_allowed(string password)
    {
        Assert.Null(Check(password));
    }

    [Fact]
    public void Context_words_are_the_site_name_username_and_email_local_part_lower_cased()
    {
        var user = new User { UserName = "Alice", Email = "A.Liddell@Example.com" };

        Assert.Equal(["latchkey", "alice", "a.liddell"], PasswordPolicy.ContextWords(user));
    }

    [Fact]
    public void Another_users_name_is_not_a_context_word()
    {
        Assert.Null(PasswordPolicy.Check("alicealice", "bob-builder", "bob@example.com"));
    }

    [Fact]
    public void Spaces_are_kept_as_part_of_the_password()
    {
        const string password = " correct horse battery ";

        Assert.Null(Check(password));
        Assert.Equal(" correct horse battery ", password);
    }

    [Fact]
    public async Task The_identity_validator_fails_with_a_readable_error_and_passes_a_good_password()
    {
        var policy = new PasswordPolicy();
        var user = new User { UserName = Username, Email = Email };

        var refused = await policy.ValidateAsync(null!, user, "alice2024!");
        var accepted = await policy.ValidateAsync(null!, user, "tangerine wombat ledger");

        Assert.False(refused.Succeeded);
        var error = Assert.Single(refused.Errors);
        Assert.Equal("PasswordContextual", error.Code);
        Assert.True(accepted.Succeeded);
    }

    [Fact]
    public void A_missing_list_file_fails_closed_with_a_clear_message()
    {
        var path = Path.Combine(Path.GetTempPath(), $"latchkey-no-such-list-{Guid.NewGuid():N}.txt");

        var error = Assert.Throws<InvalidOperationException>(() => PasswordPolicy.LoadList(path));
        Assert.Contains("common-password list is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_list_ships_with_its_source_line_and_licence()
    {
        var first = File.ReadLines(PasswordPolicy.ListPath).First();
        Assert.StartsWith("# source: @zxcvbn-ts/language-common@", first, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(PasswordPolicy.ListPath)!, "LICENSE-common-passwords.txt")));
    }

    private static List<string> ListEntries() =>
        File.ReadLines(PasswordPolicy.ListPath).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
}
