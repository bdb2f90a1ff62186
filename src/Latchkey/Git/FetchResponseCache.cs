using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Hosting;
using Latchkey.Observability;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Git;

/// <summary>
/// The whole answer of <c>git upload-pack</c>, kept for identical fetches (issue #19): a CI fleet
/// cloning one commit at once costs one upload-pack, and every other clone is a file sent by the
/// server, with no git process but one <c>for-each-ref</c>. Only protocol v2 <c>command=fetch</c>
/// requests that end in <c>done</c> (nothing to negotiate: a clone) and fit in
/// <see cref="MaxRequestBytes"/> are kept; anything else goes to upload-pack as before, with
/// <see cref="PackCache"/>'s hook.
/// <para>The key is the repository's path, every ref and its object, the Git-Protocol header and
/// the request's bytes, so an answer is never served to another repository's readers (who may fetch
/// is decided before) or across a push. HEAD is not in it: a fetch answers the wants it names.</para>
/// <para>The first request starts upload-pack, whose output goes to <c>KEY.response.*.tmp</c>, renamed to
/// <c>KEY.response</c> only when git exits 0; that request and those that come meanwhile all stream
/// the growing file, woken as it grows, so the writer's client hanging up stops nothing. If git fails,
/// those following are cut (a client never takes a short answer for a whole one), unless git's
/// answer was an error of its own (<c>ERR</c>), which they get as it is. Later requests read
/// the finished file for <see cref="GitOptions.PackCacheSeconds"/> (0 turns this off too), judged on
/// this host's clock as the folder is per host. Writers are coordinated within this process only:
/// two nodes on one host may each write an answer, which costs work, never correctness (each writes
/// its own temporary file; the rename is atomic).</para>
/// </summary>
public sealed class FetchResponseCache(DataDirectory data, IOptions<GitOptions> options, LatchkeyMetrics metrics,
    IHostApplicationLifetime lifetime, ILogger<FetchResponseCache> logger)
{
    /// <summary>Requests larger than this (a fetch with many haves) go to upload-pack as before.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    private const int ChunkBytes = 256 * 1024;

    /// <summary>
    /// Those following are woken each time this much more is written, not on every read of git's
    /// output (a pipe gives 64 KiB at most): each wake is a hop between threads, and per 64 KiB those
    /// hops cost more CPU than the copying. What is written in between (git's progress lines) waits
    /// at most <see cref="FollowPoll"/>.
    /// </summary>
    private const int PulseBytes = 256 * 1024;

    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LeftoverAge = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<string, Generation> _writing = new(StringComparer.Ordinal);
    private readonly Lock _records = new();

    public bool Enabled => options.Value.PackCacheSeconds > 0;

    /// <summary>How a request was answered from the cache.</summary>
    public readonly record struct Served(bool Succeeded, long Sent);

    /// <summary>
    /// The request body (ungzipped) when it is a fetch this cache answers, else null. The body is
    /// looked at, not consumed: when this returns null it is read again as if untouched.
    /// </summary>
    public static async Task<byte[]?> ReadCacheableAsync(HttpContext context, CancellationToken ct)
    {
        var encoding = context.Request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0)
            return null;
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var buffer = read.Buffer;
            if (buffer.Length > MaxRequestBytes)
            {
                reader.AdvanceTo(buffer.Start);
                return null;
            }
            if (!read.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            var bytes = buffer.ToArray();
            reader.AdvanceTo(buffer.Start);
            if (gzip && Ungzip(bytes) is { } plain)
                bytes = plain;
            else if (gzip)
                return null;
            return IsFetchWithoutNegotiation(bytes) ? bytes : null;
        }
    }

    /// <summary>A gzip body's contents if they fit in <see cref="MaxRequestBytes"/>; null if not, or not gzip (upload-pack's path then answers 400).</summary>
    private static byte[]? Ungzip(byte[] compressed)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (plain.Length + read > MaxRequestBytes)
                    return null;
                plain.Write(buffer, 0, read);
            }
            return plain.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// A protocol v2 fetch whose arguments include <c>done</c>: <c>command=fetch</c>, capabilities,
    /// a delimiter, arguments, a flush, and nothing after.
    /// </summary>
    public static bool IsFetchWithoutNegotiation(ReadOnlySpan<byte> body)
    {
        var section = 0; // 0: the command, 1: capabilities, 2: arguments
        var done = false;
        while (body.Length >= 4)
        {
            if (!int.TryParse(body[..4], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length))
                return false;
            body = body[4..];
            if (length == 0)
                return section == 2 && done && body.IsEmpty;
            if (length == 1)
            {
                if (section != 1)
                    return false;
                section = 2;
                continue;
            }
            if (length < 4 || length - 4 > body.Length)
                return false;
            var line = body[..(length - 4)];
            body = body[(length - 4)..];
            if (line.EndsWith("\n"u8))
                line = line[..^1];
            if (section == 0)
            {
                if (!line.SequenceEqual("command=fetch"u8))
                    return false;
                section = 1;
            }
            else if (section == 2 && line.SequenceEqual("done"u8))
            {
                done = true;
            }
        }
        return false;
    }

    /// <summary>
    /// Answers the fetch from the cache (hit), from an answer being written (follow), or by writing
    /// one (miss). Null when the cache could not answer before anything was sent (the refs could not
    /// be read): the caller then runs upload-pack itself, the body still unread.
    /// </summary>
    public async Task<Served?> ServeAsync(HttpContext context, string repoPath, string protocol, byte[] body, CancellationToken ct)
    {
        if (await KeyAsync(repoPath, protocol, body, ct) is not { } key)
            return null;
        var folder = PackCache.Folder(data);
        try
        {
            return await ServeAsync(context, folder, key, repoPath, protocol, body, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !context.Response.HasStarted)
        {
            // A full or read-only disk costs the cache, not the clone: upload-pack answers as without it.
            logger.LogWarning("The fetch cache could not be used: {Error}", e.Message);
            context.Response.ContentLength = null;
            return null;
        }
    }

    private async Task<Served?> ServeAsync(HttpContext context, string folder, string key, string repoPath, string protocol, byte[] body, CancellationToken ct)
    {
        HostingSetup.CreatePrivateDirectory(Path.GetDirectoryName(folder)!);
        HostingSetup.CreatePrivateDirectory(folder);
        var path = Path.Combine(folder, key + ".response");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (OpenFresh(path) is { } finished)
            {
                using (finished)
                {
                    Record(folder, key, "hit");
                    context.Response.ContentLength = RandomAccess.GetLength(finished);
                    return await SendAsync(context, finished, null, ct);
                }
            }

            var started = false;
            if (!_writing.TryGetValue(key, out var generation))
                (generation, started) = Start(folder, key, repoPath, protocol, body);
            if (generation is null)
                continue;
            SafeFileHandle following;
            try
            {
                following = File.OpenHandle(generation.TemporaryPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Finished meanwhile: renamed into place (a hit next round), or failed.
                _writing.TryRemove(new KeyValuePair<string, Generation>(key, generation));
                continue;
            }
            using (following)
            {
                Record(folder, key, started ? "miss" : "follow");
                return await SendAsync(context, following, generation, ct);
            }
        }
        return null;
    }

    /// <summary>Starts writing the answer for <paramref name="key"/>, or returns the one another request just started.</summary>
    private (Generation?, bool Started) Start(string folder, string key, string repoPath, string protocol, byte[] body)
    {
        var temporary = Path.Combine(folder, $"{key}.response.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var file = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var mine = new Generation(temporary);
        var generation = _writing.GetOrAdd(key, mine);
        if (!ReferenceEquals(generation, mine))
        {
            file.Dispose();
            File.Delete(temporary);
            return (generation, false);
        }
        // An answer finished between the look for one and now is used, not written again.
        if (OpenFresh(Path.Combine(folder, key + ".response")) is { } finished)
        {
            finished.Dispose();
            file.Dispose();
            File.Delete(temporary);
            _writing.TryRemove(new KeyValuePair<string, Generation>(key, mine));
            return (null, false);
        }
        RemoveExpired(folder);
        _ = Task.Run(() => WriteAsync(mine, file, folder, key, repoPath, protocol, body));
        return (mine, true);
    }

    /// <summary>upload-pack into the temporary file, tied to the server's life, not to any request's.</summary>
    private async Task WriteAsync(Generation generation, SafeFileHandle file, string folder, string key, string repoPath, string protocol, byte[] body)
    {
        var ct = lifetime.ApplicationStopping;
        var succeeded = false;
        try
        {
            using var span = LatchkeyTracing.Source.StartActivity("git-upload-pack");
            var info = GitCommand.StartInfo(repoPath, ["upload-pack", "--stateless-rpc", repoPath]);
            info.Environment["GIT_PROTOCOL"] = protocol;
            ServerLifeline.Attach(info);
            using var process = Process.Start(info) ?? throw new InvalidOperationException("git could not be started.");
            try
            {
                var stderr = process.StandardError.ReadToEndAsync(ct);
                var stdin = WriteRequestAsync(process, body, ct);
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                long written = 0;
                try
                {
                    var stdout = process.StandardOutput.BaseStream;
                    Pipes.TryEnlarge(stdout);
                    int read;
                    while ((read = await stdout.ReadAsync(buffer.AsMemory(0, ChunkBytes), ct)) > 0)
                    {
                        if (written == 0)
                            generation.AnsweredWithError = read >= 8 && buffer.AsSpan(4, 4).SequenceEqual("ERR "u8);
                        await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), written, ct);
                        written += read;
                        generation.Grow(written);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                await stdin;
                await process.WaitForExitAsync(ct);
                var error = await stderr;
                span?.SetTag("latchkey.git.bytes_sent", written).SetTag("latchkey.git.exit_code", process.ExitCode);
                if (process.ExitCode != 0)
                    logger.LogWarning("git-upload-pack exited with {Code}: {Error}", process.ExitCode, TokenFormat.Redact(error.Trim()));
                succeeded = process.ExitCode == 0;
            }
            finally
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning("An upload-pack answer for the cache was not finished: {Error}", e.Message);
        }
        finally
        {
            file.Dispose();
            try
            {
                if (succeeded)
                {
                    File.Move(generation.TemporaryPath, Path.Combine(folder, key + ".response"), overwrite: true);
                }
                else
                {
                    File.Delete(generation.TemporaryPath);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("The upload-pack answer could not be kept: {Error}", e.Message);
                succeeded = false;
            }
            finally
            {
                // Those following are told in every case: none waits on an answer that will not grow.
                generation.Finish(succeeded);
                _writing.TryRemove(new KeyValuePair<string, Generation>(key, generation));
            }
        }
    }

    private static async Task WriteRequestAsync(Process process, byte[] body, CancellationToken ct)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(body, ct);
        }
        catch (IOException)
        {
            // git stopped reading (it refused the request); what it says is on stdout.
        }
        finally
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="file"/>; while <paramref name="writing"/> runs, as it grows. A failed
    /// answer cuts the connection (unless it was git's own error, sent whole).
    /// </summary>
    private static async Task<Served> SendAsync(HttpContext context, SafeFileHandle file, Generation? writing, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        long sent = 0;
        try
        {
            var output = context.Response.Body;
            while (true)
            {
                // The pulse is taken before the state, so growth after the state is read still wakes this loop.
                var changed = writing?.Changed ?? Task.CompletedTask;
                var finished = writing?.IsFinished ?? true;
                var available = writing?.Length ?? RandomAccess.GetLength(file);
                if (sent < available)
                {
                    var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(ChunkBytes, available - sent)), sent, ct);
                    if (read == 0)
                        throw new IOException("The cached answer is shorter than written.");
                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                    sent += read;
                    continue;
                }
                if (finished)
                    break;
                // Woken by a pulse, by the end, or after the poll interval for what came in between.
                await changed.WaitAsync(FollowPoll, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ct.ThrowIfCancellationRequested();
            }
            if (writing is { Succeeded: false, AnsweredWithError: false })
            {
                // The client hears of it as a cut connection, not as a short answer that looks whole.
                context.Abort();
                return new Served(false, sent);
            }
            return new Served(writing?.Succeeded ?? true, sent);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            context.Abort();
            return new Served(false, sent);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The finished answer, opened (so removing it meanwhile cannot cut a read), if it is younger than the window.</summary>
    private SafeFileHandle? OpenFresh(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        if (TimeProvider.System.GetUtcNow().UtcDateTime - File.GetLastWriteTimeUtc(handle) < TimeSpan.FromSeconds(options.Value.PackCacheSeconds))
            return handle;
        handle.Dispose();
        return null;
    }

    private async Task<string?> KeyAsync(string repoPath, string protocol, byte[] body, CancellationToken ct)
    {
        var refs = await GitCommand.RunAsync(repoPath, ["for-each-ref", "--format=%(objectname) %(refname)"], ct);
        if (!refs.Succeeded)
        {
            logger.LogWarning("The refs of {Repository} could not be read for the fetch cache: {Error}", repoPath, TokenFormat.Redact(refs.Error.Trim()));
            return null;
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFullPath(repoPath) + "\0"));
        hash.AppendData(refs.Output);
        hash.AppendData(Encoding.UTF8.GetBytes("\0" + protocol + "\0"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>How a request was answered: counted, and written down in KEY.served as the pack hook does.</summary>
    private void Record(string folder, string key, string outcome)
    {
        metrics.PackCache(outcome);
        // One writer at a time: appends from several requests at once could overwrite each other.
        try
        {
            lock (_records)
                File.AppendAllText(Path.Combine(folder, key + ".served"), outcome + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The record is for those who look into the folder; the answer does not depend on it.
        }
    }

    /// <summary>Whenever an answer is to be written: answers and their records past the window, and a crash's temporary files a day old.</summary>
    private void RemoveExpired(string folder)
    {
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        var window = TimeSpan.FromSeconds(options.Value.PackCacheSeconds);
        IEnumerable<FileInfo> entries;
        try
        {
            // Read whole now: a listing that fails halfway must not leave an answer registered that nobody writes.
            entries = new DirectoryInfo(folder).GetFiles();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var entry in entries)
        {
            var age = now - entry.LastWriteTimeUtc;
            var expired = entry.Name.EndsWith(".response", StringComparison.Ordinal) || entry.Name.EndsWith(".served", StringComparison.Ordinal)
                ? age >= window
                : entry.Name.EndsWith(".tmp", StringComparison.Ordinal) && age >= LeftoverAge;
            if (!expired)
                continue;
            try
            {
                entry.Delete();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>One answer being written: how long it is so far, and a pulse each time it grows or ends.</summary>
    private sealed class Generation(string temporaryPath)
    {
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _length;
        private long _pulsed; // the writer's alone
        private volatile bool _finished;

        public string TemporaryPath { get; } = temporaryPath;
        public long Length => Volatile.Read(ref _length);
        public bool IsFinished => _finished;
        public bool Succeeded { get; private set; }
        public bool AnsweredWithError { get; set; }
        public Task Changed => Volatile.Read(ref _changed).Task;

        public void Grow(long length)
        {
            Volatile.Write(ref _length, length);
            if (length - _pulsed < PulseBytes)
                return;
            _pulsed = length;
            Pulse();
        }

        public void Finish(bool succeeded)
        {
            Succeeded = succeeded;
            _finished = true;
            Pulse();
        }

        private void Pulse() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
