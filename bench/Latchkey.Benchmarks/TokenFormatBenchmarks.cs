using BenchmarkDotNet.Attributes;
using Latchkey.Tokens;

namespace Latchkey.Benchmarks;

/// <summary>The offline part of every token check: shape, CRC32 checksum, HMAC-SHA256 digest.</summary>
public class TokenFormatBenchmarks
{
    private readonly string _token = TokenFormat.Generate(TokenKind.Classic);
    private readonly TokenDigest _digest = new(new byte[32]);

    [Benchmark]
    public bool ParseAndChecksum() => TokenFormat.TryParse(_token, out _);

    [Benchmark]
    public byte[] Digest() => _digest.Compute(_token);

    [Benchmark]
    public byte[]? ParseChecksumDigest() => TokenFormat.TryParse(_token, out _) ? _digest.Compute(_token) : null;
}
