using System.Globalization;
using System.Text;

namespace Latchkey.Lfs;

/// <summary>
/// A Git LFS pointer file, the small text git holds in place of a large file
/// ("version https://git-lfs.github.com/spec/v1", "oid sha256:…", "size …"), as the LFS spec defines it.
/// </summary>
public sealed record LfsPointer(string Oid, long Size)
{
    /// <summary>Pointer files are at most this long (the spec's limit; git-lfs writes about 130 bytes).</summary>
    public const int MaxLength = 1024;

    private const string Version = "version https://git-lfs.github.com/spec/v1\n";

    public static LfsPointer? TryParse(ReadOnlySpan<byte> content)
    {
        if (content.Length is 0 or > MaxLength || !content.StartsWith(Encoding.ASCII.GetBytes(Version)))
            return null;
        string? oid = null;
        long? size = null;
        foreach (var line in Encoding.ASCII.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            if (line.StartsWith("oid sha256:", StringComparison.Ordinal) && LfsObjectStore.IsOid(line["oid sha256:".Length..]))
                oid = line["oid sha256:".Length..];
            else if (line.StartsWith("size ", StringComparison.Ordinal) && long.TryParse(line["size ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                size = n;
        }
        return oid is not null && size is { } s ? new LfsPointer(oid, s) : null;
    }

    /// <summary>The image types a browser shows inline, by file extension (no SVG: it can carry script).</summary>
    public static string? ImageType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        _ => null,
    };
}
