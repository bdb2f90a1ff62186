using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Latchkey.Authorization;
using Latchkey.Observability;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.Features;

namespace Latchkey.Git;

/// <summary>
/// Git smart HTTP: info/refs, git-upload-pack and git-receive-pack, served by the system git with
/// --stateless-rpc and streamed both ways, so memory stays flat whatever the pack size. Clones over
/// protocol v2 may be answered by <see cref="FetchResponseCache"/> instead.
/// </summary>
public static class GitHttp
{
    private const string UploadPack = "git-upload-pack";
    private const string ReceivePack = "git-receive-pack";

    public static IEndpointRouteBuilder MapGitHttp(this IEndpointRouteBuilder app)
    {
        // info/refs declares the lesser need; the advertisement for a push asks for write itself.
        app.MapGet("/{owner}/{repo}/info/refs", InfoRefs).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.ReadContents));
        app.MapPost("/{owner}/{repo}/git-upload-pack", (HttpContext c, string owner, string repo, GitAccess access) => Rpc(c, owner, repo, UploadPack, access))
            .DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.ReadContents));
        app.MapPost("/{owner}/{repo}/git-receive-pack", (HttpContext c, string owner, string repo, GitAccess access) => Rpc(c, owner, repo, ReceivePack, access))
            .DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.Write));
        return app;
    }

    private static async Task InfoRefs(HttpContext context, string owner, string repo, GitAccess access)
    {
        var service = context.Request.Query["service"].ToString();
        if (service is not (UploadPack or ReceivePack))
        {
            await GitAccess.WritePlainAsync(context, StatusCodes.Status400BadRequest,
                "Only the smart HTTP protocol is supported: use a git client newer than 1.6.6.\n");
            return;
        }
        var target = await access.AuthorizeAsync(context, owner, repo, service == ReceivePack ? RepoAction.Write : RepoAction.ReadContents);
        if (target is null)
            return;

        context.Response.ContentType = $"application/x-{service}-advertisement";
        SetNoCache(context.Response);
        var protocol = GitProtocol(context);
        if (protocol is null || !protocol.Contains("version=2", StringComparison.Ordinal))
        {
            var line = $"# service={service}\n";
            await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes($"{line.Length + 4:x4}{line}0000"), context.RequestAborted);
        }
        await RunServiceAsync(context, access.Store.PathOf(target), service, advertise: true, protocol, maxBodyBytes: 0, context.RequestAborted);
    }

    private static async Task Rpc(HttpContext context, string owner, string repo, string service, GitAccess access)
    {
        var target = await access.AuthorizeAsync(context, owner, repo, service == ReceivePack ? RepoAction.Write : RepoAction.ReadContents);
        if (target is null)
            return;
        var expected = $"application/x-{service}-request";
        if (!string.Equals(context.Request.ContentType, expected, StringComparison.OrdinalIgnoreCase))
        {
            await GitAccess.WritePlainAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Expected Content-Type {expected}.\n");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = access.MaxRequestBytes;

        context.Response.ContentType = $"application/x-{service}-result";
        SetNoCache(context.Response);
        if (service == UploadPack)
        {
            if (await ServeFromResponseCacheAsync(context, access.Store.PathOf(target), target) is not false)
                return;
            var cache = context.RequestServices.GetRequiredService<PackCache>();
            string? report = null;
            var request = new UploadRequest();
            try
            {
                if (await RunServiceAsync(context, access.Store.PathOf(target), service, advertise: false, GitProtocol(context), access.MaxRequestBytes, context.RequestAborted,
                    (info, _) =>
                    {
                        report = cache.Attach(info);
                        return Task.CompletedTask;
                    }, request) && request.Action is { } action)
                    await context.RequestServices.GetRequiredService<GitEvents>().RecordAsync(context, target, action);
            }
            finally
            {
                cache.Collect(report);
            }
            return;
        }

        var repoPath = access.Store.PathOf(target);
        PushProtection.InstallHook(repoPath);
        var protection = context.RequestServices.GetRequiredService<PushProtection>();
        // No push runs longer than Git:MaxPushMinutes: what a push leaves on disk older than that is a
        // crash's leftover, which GitLeftoverSweep may remove even where several nodes share the disk.
        using var deadline = new CancellationTokenSource(access.MaxPushDuration, context.RequestServices.GetRequiredService<TimeProvider>());
        using var push = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        PushProtection.Session? session = null;
        try
        {
            var completed = await RunServiceAsync(context, repoPath, service, advertise: false, GitProtocol(context), access.MaxRequestBytes, push.Token,
                (info, exited) =>
                {
                    // receive-pack's own gc --auto would run in the request and, detached, outlive the
                    // server; RepositoryMaintenance repacks in the background instead.
                    if (access.Maintenance)
                        GitCommand.AddConfig(info, "receive.autogc", "false");
                    // Off (Git:PushProtection=false), the hook finds no LATCHKEY_PUSH_SCAN and exits 0.
                    if (!access.PushProtection)
                        return Task.CompletedTask;
                    session = protection.Begin(info);
                    return protection.WatchAsync(session, target, exited, push.Token);
                });
            if (session is not null)
                await protection.FinishAsync(session, target, GitAccess.PusherId(context), CancellationToken.None);
            if (completed)
            {
                await access.Repositories.RecordPushAsync(target, CancellationToken.None);
                if (session?.Findings.Count is null or 0)
                    await context.RequestServices.GetRequiredService<GitEvents>().RecordAsync(context, target, SecurityLog.SecurityActions.GitPush);
            }
            if (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GitHttp))
                    .LogWarning("A push to repository {RepositoryId} was cut after Git:MaxPushMinutes ({Minutes})", target.Id, (int)access.MaxPushDuration.TotalMinutes);
                // The client hears of it as a cut connection, not as a short answer that looks whole.
                context.Abort();
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    /// <summary>
    /// A fetch with nothing to negotiate (a clone) answered by <see cref="FetchResponseCache"/>: true
    /// when it answered, false when upload-pack is to run as usual (the body still unread), null when
    /// the request is over (its body could not be read: answered 400, or the client left).
    /// </summary>
    private static async Task<bool?> ServeFromResponseCacheAsync(HttpContext context, string repoPath, Repository target)
    {
        var responses = context.RequestServices.GetRequiredService<FetchResponseCache>();
        if (!responses.Enabled || GitProtocol(context) is not { } protocol || !protocol.Contains("version=2", StringComparison.Ordinal))
            return false;
        byte[]? body;
        try
        {
            body = await FetchResponseCache.ReadCacheableAsync(context, context.RequestAborted);
        }
        catch (BadHttpRequestException e)
        {
            await GitAccess.WritePlainAsync(context, StatusCodes.Status400BadRequest, "The request body could not be read: " + e.Message + "\n");
            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return null;
        }
        if (body is null || await responses.ServeAsync(context, repoPath, protocol, body, context.RequestAborted) is not { } served)
            return false;
        context.RequestServices.GetRequiredService<LatchkeyMetrics>().GitOperation(UploadPack["git-".Length..], served.Succeeded, body.Length, served.Sent);
        var request = new UploadRequest();
        request.Observe(body);
        if (served.Succeeded && request.Action is { } action)
            await context.RequestServices.GetRequiredService<GitEvents>().RecordAsync(context, target, action);
        return true;
    }

    /// <summary>Runs git-upload-pack / git-receive-pack, request body in, response body out.</summary>
    private static async Task<bool> RunServiceAsync(HttpContext context, string repoPath, string service, bool advertise, string? protocol, long? maxBodyBytes,
        CancellationToken ct, Func<ProcessStartInfo, Task, Task>? companion = null, UploadRequest? observed = null)
    {
        List<string> args = [service["git-".Length..], "--stateless-rpc"];
        if (advertise)
            args.Add("--advertise-refs");
        args.Add(repoPath);
        using var span = Observability.LatchkeyTracing.Source.StartActivity(service);
        var info = GitCommand.StartInfo(repoPath, args);
        if (protocol is not null)
            info.Environment["GIT_PROTOCOL"] = protocol;
        ServerLifeline.Attach(info);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var beside = companion?.Invoke(info, exited.Task);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("git could not be started.");
        try
        {
            _ = process.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => exited.TrySetResult(), TaskScheduler.Default);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            var stdinTask = advertise ? CloseInput(process) : PumpRequestAsync(context, process, maxBodyBytes, observed, ct);
            Pipes.TryEnlarge(process.StandardOutput.BaseStream);
            var sent = await CopyCountingAsync(process.StandardOutput.BaseStream, context.Response.Body, ct);
            var received = await stdinTask;
            await process.WaitForExitAsync(ct);
            if (!advertise)
                context.RequestServices.GetRequiredService<LatchkeyMetrics>().GitOperation(service["git-".Length..], process.ExitCode == 0, received, sent);
            span?.SetTag("latchkey.git.bytes_received", received).SetTag("latchkey.git.bytes_sent", sent).SetTag("latchkey.git.exit_code", process.ExitCode);
            if (beside is not null)
                await beside;
            var error = await stderr;
            if (process.ExitCode != 0)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GitHttp))
                    .LogWarning("{Service} exited with {Code}: {Error}", service, process.ExitCode, TokenFormat.Redact(error.Trim()));
            }
            return process.ExitCode == 0;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException or InvalidDataException)
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            if (e is BadHttpRequestException or InvalidDataException && !context.Response.HasStarted)
                await GitAccess.WritePlainAsync(context, StatusCodes.Status400BadRequest, "The request body could not be read: " + e.Message + "\n");
            return false;
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    private static Task<long> CloseInput(Process process)
    {
        process.StandardInput.Close();
        return Task.FromResult(0L);
    }

    private static Task<long> CopyCountingAsync(Stream from, Stream to, CancellationToken ct)
        => CopyCountingAsync(from, to, null, ct);

    private static async Task<long> CopyCountingAsync(Stream from, Stream to, UploadRequest? observed, CancellationToken ct)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            observed?.Observe(buffer.AsSpan(0, read));
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
            total += read;
        }
        return total;
    }

    /// <summary>How much of a request body is gathered before it is written to git: one write into the
    /// pipe per 256 KiB, not one per network read (Kestrel reads 2–4 KiB at a time).</summary>
    private const int PumpChunkBytes = 256 * 1024;

    /// <summary>The request body into git's stdin; returns how many bytes git received.</summary>
    private static async Task<long> PumpRequestAsync(HttpContext context, Process process, long? maxBodyBytes, UploadRequest? observed, CancellationToken ct)
    {
        var stdin = process.StandardInput.BaseStream;
        try
        {
            var encoding = context.Request.Headers.ContentEncoding.ToString();
            // The body limit holds for what git receives, so a small gzip bomb cannot get round it.
            if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
            {
                await using var body = new LengthLimitedStream(new GZipStream(context.Request.Body, CompressionMode.Decompress), maxBodyBytes ?? long.MaxValue);
                return await CopyCountingAsync(body, stdin, observed, ct);
            }
            var reader = context.Request.BodyReader;
            // Kestrel's buffers are 4 KiB blocks: written one by one, a 100 MB push was 25,000 writes
            // to git's pipe, each an asynchronous operation. They are gathered into one write per step.
            Pipes.TryEnlarge(stdin);
            var gathered = ArrayPool<byte>.Shared.Rent(PumpChunkBytes);
            long total = 0;
            try
            {
                while (true)
                {
                    var read = await reader.ReadAtLeastAsync(PumpChunkBytes, ct);
                    var buffer = read.Buffer;
                    foreach (var segment in buffer)
                        observed?.Observe(segment.Span);
                    while (!buffer.IsEmpty)
                    {
                        var step = buffer.Slice(0, Math.Min(buffer.Length, gathered.Length));
                        step.CopyTo(gathered);
                        await stdin.WriteAsync(gathered.AsMemory(0, (int)step.Length), ct);
                        buffer = buffer.Slice(step.End);
                    }
                    total += read.Buffer.Length;
                    reader.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                        return total;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }
        }
        finally
        {
            process.StandardInput.Close();
        }
    }

    /// <summary>The Git-Protocol header, passed to git only when it is plainly a protocol statement.</summary>
    private static string? GitProtocol(HttpContext context)
    {
        var value = context.Request.Headers["Git-Protocol"].ToString();
        if (value.Length is 0 or > 256)
            return null;
        return value.All(c => char.IsAsciiLetterOrDigit(c) || c is '=' or ':' or '.' or '-' or '_') ? value : null;
    }

    private static void SetNoCache(HttpResponse response)
    {
        response.Headers.CacheControl = "no-cache, max-age=0, must-revalidate";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Fri, 01 Jan 1980 00:00:00 GMT";
    }
}

/// <summary>
/// What an upload-pack request asked, read as it streams to git, for the security log: a fetch that
/// names commits the client has (<c>have</c> lines) is a <c>git.fetch</c>, one that has none a
/// <c>git.clone</c>; protocol v2's <c>ls-refs</c> reads ref names only and is no event of its own.
/// </summary>
public sealed class UploadRequest
{
    private bool _have;
    private bool _lsRefs;
    private bool _fetch;

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        _have |= chunk.IndexOf("have "u8) >= 0;
        _lsRefs |= chunk.IndexOf("command=ls-refs"u8) >= 0;
        _fetch |= chunk.IndexOf("command=fetch"u8) >= 0;
    }

    /// <summary>The event this request is, or null for a listing of refs.</summary>
    public string? Action => _lsRefs && !_fetch ? null : _have ? SecurityLog.SecurityActions.GitFetch : SecurityLog.SecurityActions.GitClone;
}
