namespace Latchkey.Tests.Support;

/// <summary>A request body that sends its first half, then waits for <paramref name="release"/> before the rest: a push caught mid-way.</summary>
public sealed class HeldBackContent(byte[] body, TaskCompletionSource firstPartSent, Task release) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    // The handler cancels this when the connection dies first (a server that cut the request or died).
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
    {
        var half = body.Length / 2;
        await stream.WriteAsync(body.AsMemory(0, half), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        firstPartSent.TrySetResult();
        await release.WaitAsync(cancellationToken);
        await stream.WriteAsync(body.AsMemory(half), cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
