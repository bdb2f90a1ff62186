using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Latchkey.Accounts;

/// <summary>
/// A GitHub-style identicon: a 5×5 grid, mirrored left to right, one colour from a hash of the user id,
/// rendered as a PNG. The same id always gives the same picture.
/// </summary>
public static class Identicon
{
    private const int Cells = 5;
    private const int CellSize = 40;
    private const int Padding = 25;
    public const int Size = (Cells * CellSize) + (2 * Padding);

    public static byte[] RenderPng(long userId)
    {
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes("latchkey-identicon:" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var on = new bool[Cells, Cells];
        for (var row = 0; row < Cells; row++)
        {
            for (var col = 0; col < 3; col++)
            {
                var lit = (hash[(row * 3) + col] & 1) == 1;
                on[row, col] = lit;
                on[row, Cells - 1 - col] = lit;
            }
        }
        var (r, g, b) = HslToRgb(hash[20] / 255.0 * 360.0, 0.45 + (hash[21] / 255.0 * 0.2), 0.5 + (hash[22] / 255.0 * 0.1));

        // Raw scanlines: a filter byte (0) then RGB triples.
        var stride = 1 + (Size * 3);
        var raw = new byte[stride * Size];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var cx = (x - Padding) / CellSize;
                var cy = (y - Padding) / CellSize;
                var inside = x >= Padding && y >= Padding && cx < Cells && cy < Cells;
                var lit = inside && on[cy, cx];
                var offset = (y * stride) + 1 + (x * 3);
                raw[offset] = lit ? r : (byte)0xF0;
                raw[offset + 1] = lit ? g : (byte)0xF0;
                raw[offset + 2] = lit ? b : (byte)0xF0;
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Size);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Size);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour RGB
        WriteChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                zlib.Write(raw);
            WriteChunk(png, "IDAT", compressed.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = new Crc32();
        crc.Append(typeBytes);
        crc.Append(data);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc.GetCurrentHashAsUInt32());
        output.Write(crcBytes);
    }

    private static (byte R, byte G, byte B) HslToRgb(double h, double s, double l)
    {
        var c = (1 - Math.Abs((2 * l) - 1)) * s;
        var x = c * (1 - Math.Abs((h / 60 % 2) - 1));
        var m = l - (c / 2);
        var (r, g, b) = h switch
        {
            < 60 => (c, x, 0.0),
            < 120 => (x, c, 0.0),
            < 180 => (0.0, c, x),
            < 240 => (0.0, x, c),
            < 300 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return ((byte)Math.Round((r + m) * 255), (byte)Math.Round((g + m) * 255), (byte)Math.Round((b + m) * 255));
    }
}
