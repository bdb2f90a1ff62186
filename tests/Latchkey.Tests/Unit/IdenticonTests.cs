using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using Latchkey.Accounts;

namespace Latchkey.Tests.Unit;

/// <summary>The generated profile picture: a well-formed PNG, the same for the same user.</summary>
public sealed class IdenticonTests
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private sealed record Chunk(string Type, byte[] Data);

    private static List<Chunk> ReadChunks(byte[] png)
    {
        Assert.True(png.AsSpan(0, 8).SequenceEqual(Signature), "PNG signature missing");
        var chunks = new List<Chunk>();
        var offset = 8;
        while (offset < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length).ToArray();
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.Equal(Crc32.HashToUInt32(png.AsSpan(offset + 4, 4 + length)), crc);
            chunks.Add(new Chunk(type, data));
            offset += 12 + length;
        }
        Assert.Equal(png.Length, offset);
        return chunks;
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    public void Renders_a_valid_png_of_the_advertised_size(long userId)
    {
        var png = Identicon.RenderPng(userId);
        var chunks = ReadChunks(png);

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        var header = chunks[0].Data;
        Assert.Equal(13, header.Length);
        Assert.Equal(Identicon.Size, BinaryPrimitives.ReadInt32BigEndian(header));
        Assert.Equal(Identicon.Size, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)));
        Assert.Equal(8, header[8]); // bit depth
        Assert.Equal(2, header[9]); // truecolour
        Assert.Equal(0, header[10]); // deflate
        Assert.Equal(0, header[11]); // adaptive filtering
        Assert.Equal(0, header[12]); // no interlace
        Assert.Empty(chunks[2].Data);

        using var zlib = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        var stride = 1 + (Identicon.Size * 3);
        Assert.Equal(stride * Identicon.Size, raw.Length);
        var pixels = raw.ToArray();
        for (var y = 0; y < Identicon.Size; y++)
            Assert.Equal(0, pixels[y * stride]); // filter type None on every scanline
    }

    [Fact]
    public void The_picture_is_square_and_a_sensible_size()
    {
        Assert.InRange(Identicon.Size, 64, 1024);
    }

    [Fact]
    public void The_same_id_always_gives_the_same_bytes()
    {
        Assert.Equal(Identicon.RenderPng(42), Identicon.RenderPng(42));
        Assert.Equal(Identicon.RenderPng(1), Identicon.RenderPng(1));
    }

    [Fact]
    public void Different_ids_give_different_pictures()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (long id = 1; id <= 20; id++)
            Assert.True(seen.Add(Convert.ToBase64String(Identicon.RenderPng(id))), $"id {id} repeats an earlier picture");
    }

    [Fact]
    public void The_picture_is_mirrored_left_to_right()
    {
        for (long id = 1; id <= 5; id++)
        {
            var idat = ReadChunks(Identicon.RenderPng(id)).Single(c => c.Type == "IDAT").Data;
            using var zlib = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress);
            using var raw = new MemoryStream();
            zlib.CopyTo(raw);
            var pixels = raw.ToArray();
            var stride = 1 + (Identicon.Size * 3);
            for (var y = 0; y < Identicon.Size; y += 7)
            {
                for (var x = 0; x < Identicon.Size / 2; x += 3)
                {
                    var left = (y * stride) + 1 + (x * 3);
                    var right = (y * stride) + 1 + ((Identicon.Size - 1 - x) * 3);
                    Assert.True(pixels.AsSpan(left, 3).SequenceEqual(pixels.AsSpan(right, 3)), $"id {id}: ({x},{y}) differs from its mirror");
                }
            }
        }
    }
}
