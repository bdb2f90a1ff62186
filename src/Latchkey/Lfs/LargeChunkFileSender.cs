using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Latchkey.Lfs;

/// <summary>
/// Sends a file 1 MiB at a time, reading the next piece while the last one goes out. Kestrel has no
/// sendfile: its fallback copies a file in 64 KiB writes, each awaited until the socket drains, so
/// a 1 GiB object costs 16,384 round trips between threads and the download ran at a third of
/// nginx's speed. Everything else (headers, ranges, conditional requests) stays with the result
/// that calls <see cref="SendFileAsync"/>.
/// </summary>
public sealed class LargeChunkFileSender(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
{
    public const int ChunkBytes = 1024 * 1024;

    /// <summary>Makes the response's file sends go through this sender.</summary>
    public static void Install(HttpContext context)
    {
        if (context.Features.Get<IHttpResponseBodyFeature>() is { } body and not LargeChunkFileSender)
            context.Features.Set<IHttpResponseBodyFeature>(new LargeChunkFileSender(body));
    }

    public Stream Stream => inner.Stream;

    public PipeWriter Writer => inner.Writer;

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var remaining = count ?? RandomAccess.GetLength(file) - offset;
        var buffers = new[] { ArrayPool<byte>.Shared.Rent(ChunkBytes), ArrayPool<byte>.Shared.Rent(ChunkBytes) };
        var sending = Task.CompletedTask;
        try
        {
            await inner.StartAsync(cancellationToken);
            for (var turn = 0; remaining > 0; turn ^= 1)
            {
                var buffer = buffers[turn];
                var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(ChunkBytes, remaining)), offset, cancellationToken);
                if (read == 0)
                    throw new IOException("The file ended before the length the response announced.");
                // The piece before this one has gone out (or failed) before its buffer is read into again.
                await sending;
                sending = inner.Stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).AsTask();
                offset += read;
                remaining -= read;
            }
            await sending;
        }
        finally
        {
            // A write still in flight (the read threw) ends before its buffer goes back to the pool.
            await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }
}
