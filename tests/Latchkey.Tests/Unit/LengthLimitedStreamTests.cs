using System.IO.Compression;
using Latchkey.Git;

namespace Latchkey.Tests.Unit;

public sealed class LengthLimitedStreamTests
{
    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }

    [Fact]
    public async Task A_small_gzip_bomb_is_stopped_at_the_limit()
    {
        var bomb = Gzip(new byte[10 * 1024 * 1024]);
        Assert.True(bomb.Length < 100 * 1024);
        await using var limited = new LengthLimitedStream(new GZipStream(new MemoryStream(bomb), CompressionMode.Decompress), 1024 * 1024);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => limited.CopyToAsync(Stream.Null));
        Assert.Contains("larger than the 1048576 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_within_the_limit_passes_unchanged()
    {
        var data = System.Text.Encoding.ASCII.GetBytes("0032want 0123456789012345678901234567890123456789\n0000");
        await using var limited = new LengthLimitedStream(new GZipStream(new MemoryStream(Gzip(data)), CompressionMode.Decompress), data.Length);
        using var copy = new MemoryStream();
        await limited.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }
}
