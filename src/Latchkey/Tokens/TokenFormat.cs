using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Latchkey.Tokens;

public enum TokenKind
{
    Classic,
    FineGrained,
}

/// <summary>
/// The shape of a Latchkey token: prefix (<c>lkp_</c> classic, <c>lkf_</c> fine-grained), 30 random
/// base62 characters, then 6 base62 characters of CRC32 over the random part. The checksum lets
/// scanners and the server reject typos and noise offline; it is never a security decision.
/// </summary>
public static partial class TokenFormat
{
    public const string ClassicPrefix = "lkp_";
    public const string FineGrainedPrefix = "lkf_";
    public const int RandomLength = 30;
    public const int ChecksumLength = 6;
    public const int TotalLength = 4 + RandomLength + ChecksumLength;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Generate(TokenKind kind)
    {
        var random = RandomNumberGenerator.GetString(Alphabet, RandomLength);
        return PrefixOf(kind) + random + Checksum(random);
    }

    public static string PrefixOf(TokenKind kind) => kind == TokenKind.Classic ? ClassicPrefix : FineGrainedPrefix;

    /// <summary>True when the text has a token's shape and its checksum matches.</summary>
    public static bool TryParse(string? text, out TokenKind kind)
    {
        kind = TokenKind.Classic;
        if (text is null || text.Length != TotalLength)
            return false;
        if (text.StartsWith(ClassicPrefix, StringComparison.Ordinal))
            kind = TokenKind.Classic;
        else if (text.StartsWith(FineGrainedPrefix, StringComparison.Ordinal))
            kind = TokenKind.FineGrained;
        else
            return false;

        var body = text.AsSpan(4);
        foreach (var c in body)
        {
            if (!char.IsAsciiLetterOrDigit(c))
                return false;
        }
        var random = body[..RandomLength].ToString();
        return string.Equals(Checksum(random), body[RandomLength..].ToString(), StringComparison.Ordinal);
    }

    /// <summary>True when the text merely looks like a token (prefix and length), checksum aside.</summary>
    public static bool LooksLikeToken(string? text) =>
        text is { Length: TotalLength }
        && (text.StartsWith(ClassicPrefix, StringComparison.Ordinal) || text.StartsWith(FineGrainedPrefix, StringComparison.Ordinal));

    /// <summary>Anything token-shaped in free text (a path, a file, a ref name, a commit message), checksum aside.</summary>
    [GeneratedRegex("lk[pf]_[A-Za-z0-9]{36}", RegexOptions.CultureInvariant)]
    public static partial Regex Shape();

    /// <summary>GitHub's <c>hashed_token</c>: base64 of the SHA-256 of the token, how audit logs name a token without holding it.</summary>
    public static string Hashed(string token) => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// The text with every token-shaped string masked to its prefix and last eight characters
    /// (<c>lkp_…abcd1234</c>, what the token list shows): for log lines, security-log rows, mails and
    /// revocation reasons, which must never hold a secret, live or revoked.
    /// </summary>
    public static string Redact(string text) =>
        text.Contains("lk", StringComparison.Ordinal) ? Shape().Replace(text, m => m.Value[..4] + "…" + m.Value[^8..]) : text;

    /// <summary><see cref="Redact(string)"/> for optional text.</summary>
    public static string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    internal static string Checksum(string random)
    {
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(Crc32.Hash(Encoding.ASCII.GetBytes(random)));
        // 62^6 > 2^32, so six base62 digits hold any CRC32 value; left-padded with '0'.
        Span<char> digits = stackalloc char[ChecksumLength];
        ulong value = crc;
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            digits[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }
        return new string(digits);
    }
}
