using Microsoft.AspNetCore.Identity;

namespace Latchkey.Accounts;

/// <summary>
/// The password policy for sign-up and password change (OWASP ASVS 5.0 V6.2): a length range,
/// no composition rules, and no password that is common, breached or built from the account's
/// own context (site name, username, email). The password is checked exactly as typed: it is
/// never trimmed or case-folded before hashing; only the comparison with the lists ignores case.
/// </summary>
public sealed class PasswordPolicy : IPasswordValidator<User>
{
    public const string SiteName = "latchkey";

    /// <summary>Context words shorter than this say nothing about the password; they are ignored.</summary>
    private const int MinContextWordLength = 3;

    public static string ListPath { get; } = Path.Combine(AppContext.BaseDirectory, "Accounts", "Data", "common-passwords.txt");

    // Loaded once on first use. A missing file throws on every use (the exception is cached): fail closed.
    private static readonly Lazy<HashSet<string>> CommonPasswords = new(() => LoadList(ListPath));

    public Task<IdentityResult> ValidateAsync(UserManager<User> manager, User user, string? password)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        var error = Evaluate(password, user.UserName, user.Email);
        return Task.FromResult(error is null ? IdentityResult.Success : IdentityResult.Failed(error));
    }

    /// <summary>Why <paramref name="password"/> is refused, or null when it is acceptable.</summary>
    public static string? Check(string password, string? username, string? email) =>
        Evaluate(password, username, email)?.Description;

    /// <summary>The lower-cased words a password must not be built from: the site name, the username and the email's local part.</summary>
    public static IReadOnlyList<string> ContextWords(string? username, string? email)
    {
        var words = new List<string> { SiteName };
        Add(username);
        if (!string.IsNullOrEmpty(email))
        {
            var at = email.LastIndexOf('@');
            Add(at >= 0 ? email[..at] : email);
        }
        return words;

        void Add(string? word)
        {
            if (string.IsNullOrEmpty(word))
                return;
            var lower = word.ToLowerInvariant();
            if (lower.Length >= MinContextWordLength && !words.Contains(lower))
                words.Add(lower);
        }
    }

    public static IReadOnlyList<string> ContextWords(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return ContextWords(user.UserName, user.Email);
    }

    private static IdentityError? Evaluate(string password, string? username, string? email)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length < PasswordRules.MinLength)
        {
            return new IdentityError
            {
                Code = "PasswordTooShort",
                Description = $"Password is too short (minimum is {PasswordRules.MinLength} characters; 15 or more is best).",
            };
        }
        if (password.Length > PasswordRules.MaxLength)
        {
            return new IdentityError
            {
                Code = "PasswordTooLong",
                Description = $"Password is too long (maximum is {PasswordRules.MaxLength} characters).",
            };
        }

        // Only for comparison: the password itself is hashed as typed.
        var lower = password.ToLowerInvariant();
        foreach (var word in ContextWords(username, email))
        {
            if (IsBuiltFrom(lower, word))
            {
                return new IdentityError
                {
                    Code = "PasswordContextual",
                    Description = "Password can't be your username, email or the site name, even repeated or with numbers or symbols added.",
                };
            }
        }
        if (CommonPasswords.Value.Contains(lower))
        {
            return new IdentityError
            {
                Code = "PasswordCommon",
                Description = "This password is one of the most commonly used passwords. Choose a different one.",
            };
        }
        return null;
    }

    /// <summary>
    /// True when <paramref name="password"/> is <paramref name="word"/> once or repeated, with at most
    /// digits, punctuation or other non-letters before and after ("alice", "alicealice", "!alice2024").
    /// </summary>
    internal static bool IsBuiltFrom(string password, string word)
    {
        if (word.Length == 0)
            return false;
        var text = password.AsSpan();
        for (var start = 0; start + word.Length <= text.Length; start++)
        {
            if (start > 0 && char.IsLetter(text[start - 1]))
                return false;
            var end = start;
            while (text[end..].StartsWith(word, StringComparison.Ordinal))
            {
                end += word.Length;
                if (!ContainsLetter(text[end..]))
                    return true;
            }
        }
        return false;
    }

    private static bool ContainsLetter(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (char.IsLetter(c))
                return true;
        }
        return false;
    }

    /// <summary>Reads the list: one lower-case password a line; blank lines and lines starting with '#' are skipped.</summary>
    internal static HashSet<string> LoadList(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The common-password list is missing at '{path}'. It ships with Latchkey (Accounts/Data/common-passwords.txt, " +
                "built by tools/password-list/build.sh); passwords can't be checked without it.");
        }
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            set.Add(line.ToLowerInvariant());
        }
        if (set.Count == 0)
            throw new InvalidOperationException($"The common-password list at '{path}' is empty; passwords can't be checked without it.");
        return set;
    }
}
