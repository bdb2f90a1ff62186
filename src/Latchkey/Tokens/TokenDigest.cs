using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Tokens;

/// <summary>
/// HMAC-SHA256 of a whole token under a server secret kept outside the database. The digest is what
/// the database stores and indexes; a stolen database alone cannot be used to test guesses offline.
/// </summary>
public sealed class TokenDigest
{
    private readonly byte[] _key;

    public TokenDigest(byte[] key)
    {
        if (key.Length < 32)
            throw new ArgumentException("The token HMAC key must be at least 32 bytes.", nameof(key));
        _key = key;
    }

    public byte[] Compute(string token) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(token));

    /// <summary>Reads the key from configuration (base64) or from a file in the data directory, creating it once.</summary>
    public static TokenDigest FromConfiguration(IConfiguration configuration, string dataDirectory)
    {
        var configured = configuration["Tokens:HmacKey"];
        if (!string.IsNullOrWhiteSpace(configured))
            return new TokenDigest(Convert.FromBase64String(configured));

        var path = Path.Combine(dataDirectory, "token-hmac.key");
        if (!File.Exists(path))
        {
            var fresh = RandomNumberGenerator.GetBytes(32);
            // Write to a private temporary file, then move it into place: no moment where the key
            // is readable by others or where the file exists half-written.
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temporary, options))
                stream.Write(fresh);
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process put its key in place first; use theirs.
                File.Delete(temporary);
            }
        }
        return new TokenDigest(File.ReadAllBytes(path));
    }
}
