using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Git;
using Latchkey.Observability;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Latchkey.Lfs;

/// <summary>
/// The Git LFS API as the git-lfs client speaks it over HTTPS, under each repository's
/// <c>{owner}/{repo}.git/info/lfs</c>: the batch endpoint (a token, as for git: username and token as
/// password), and the basic transfer adapter's upload, verify and download, served here and
/// authorized by the signed link the batch answer gave (<see cref="LfsLinks"/>) or by the token
/// itself. Every request is decided by <see cref="AccessPolicy"/> through the git door's
/// <see cref="GitAccess"/>; refusals are answered in Git LFS's JSON, which git-lfs shows to the person.
/// </summary>
public static class LfsHttp
{
    public const string MediaType = "application/vnd.git-lfs+json";

    /// <summary>The most objects one batch request may name (git-lfs sends 100 at a time).</summary>
    public const int MaxBatchObjects = 1000;

    private const long MaxJsonBytes = 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IEndpointRouteBuilder MapLfs(this IEndpointRouteBuilder app)
    {
        // The batch request declares the lesser need; an upload asks for write itself.
        app.MapPost("/{owner}/{repo}/info/lfs/objects/batch", BatchAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.ReadContents));
        app.MapPut("/{owner}/{repo}/info/lfs/objects/{oid}", UploadAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.Write));
        app.MapPost("/{owner}/{repo}/info/lfs/objects/{oid}/verify", VerifyAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.Write));
        app.MapGet("/{owner}/{repo}/info/lfs/objects/{oid}", DownloadAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.ReadContents));
        LfsLocks.Map(app);
        return app;
    }

    public sealed record BatchRequest(string? Operation, List<string>? Transfers, List<BatchObjectRequest?>? Objects, string? HashAlgo);

    public sealed record BatchObjectRequest(JsonElement? Oid, JsonElement? Size);

    public sealed record BatchResponse(string Transfer, List<BatchObject> Objects, string HashAlgo = "sha256");

    public sealed record BatchObject(string Oid, long Size, bool? Authenticated = null, Dictionary<string, LinkAction>? Actions = null, ObjectError? Error = null);

    public sealed record LinkAction(string Href, Dictionary<string, string> Header, int ExpiresIn);

    public sealed record ObjectError(int Code, string Message);

    public sealed record ErrorBody(string Message);

    public sealed record VerifyRequest(string? Oid, long? Size);

    private static async Task BatchAsync(HttpContext context, string owner, string repo, GitAccess access, LfsObjects objects, LfsLinks links,
        IOptions<LfsOptions> options, CurrentCaller current, Authorizer authorizer)
    {
        // Access first, the body after: a private repository answers as a missing one whatever is sent.
        var target = await access.AuthorizeAsync(context, owner, repo, RepoAction.ReadContents, Answer);
        if (target is null)
            return;
        var (request, problem) = await ReadJsonAsync<BatchRequest>(context);
        if (request is null)
        {
            await Answer(context, problem!.Value.Status, problem.Value.Message);
            return;
        }
        if (request.Operation is not ("upload" or "download"))
        {
            await Answer(context, StatusCodes.Status422UnprocessableEntity, "The operation must be \"upload\" or \"download\".");
            return;
        }
        var upload = request.Operation == "upload";
        if (upload)
        {
            var decision = await authorizer.DecideAsync(new RepositoryRequirement(RepoAction.Write), target);
            if (await access.AnswerAsync(context, current.Caller, target, RepoAction.Write, decision, Answer) is null)
                return;
        }

        if (request.Transfers is { Count: > 0 } transfers && !transfers.Contains("basic"))
        {
            await Answer(context, StatusCodes.Status422UnprocessableEntity, "This server speaks the \"basic\" transfer adapter only.");
            return;
        }
        if (request.Objects is not { Count: > 0 } asked)
        {
            await Answer(context, StatusCodes.Status422UnprocessableEntity, "The request names no objects.");
            return;
        }
        if (asked.Count > MaxBatchObjects)
        {
            await Answer(context, StatusCodes.Status413PayloadTooLarge, $"A batch request may name at most {MaxBatchObjects} objects.");
            return;
        }

        var algorithmOk = request.HashAlgo is null or "sha256";
        var parsed = asked.Select(o => (Oid: o?.Oid is { ValueKind: JsonValueKind.String } oid ? oid.GetString()! : "",
            Size: o?.Size is { ValueKind: JsonValueKind.Number } size && size.TryGetInt64(out var n) ? n : -1)).ToList();
        var valid = parsed.Where(o => LfsObjectStore.IsOid(o.Oid) && o.Size >= 0).Select(o => o.Oid).Distinct(StringComparer.Ordinal).ToList();
        var held = algorithmOk ? await objects.HeldAsync(target.Id, valid, context.RequestAborted) : [];
        var settings = options.Value;

        if (upload && algorithmOk && settings.RepositoryQuotaBytes > 0)
        {
            var needed = parsed.Where(o => LfsObjectStore.IsOid(o.Oid) && o.Size >= 0 && o.Size <= settings.MaxObjectSize && !held.ContainsKey(o.Oid))
                .DistinctBy(o => o.Oid, StringComparer.Ordinal).Sum(o => o.Size);
            var (used, _) = await objects.UsageAsync(target.Id, context.RequestAborted);
            if (needed > 0 && used + needed > settings.RepositoryQuotaBytes)
            {
                await Answer(context, StatusCodes.Status413PayloadTooLarge, QuotaMessage(target, used, needed, settings.RepositoryQuotaBytes));
                return;
            }
        }

        var baseUrl = $"{GitAccess.BaseUrl(context)}/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(repo)}/info/lfs/objects/";
        var expiresIn = (int)links.Lifetime.TotalSeconds;
        var tokenId = current.Caller.TokenId;
        LinkAction Link(string operation, string oid, long size, string suffix = "") =>
            new(baseUrl + oid + suffix, new() { ["Authorization"] = links.Issue(operation, target.Id, oid, size, tokenId) }, expiresIn);

        var answer = new List<BatchObject>(parsed.Count);
        foreach (var (oid, size) in parsed)
        {
            if (!algorithmOk)
                answer.Add(new BatchObject(oid, size, Error: new ObjectError(StatusCodes.Status409Conflict, "This server names objects by SHA-256 only (hash_algo \"sha256\").")));
            else if (!LfsObjectStore.IsOid(oid))
                answer.Add(new BatchObject(oid, Math.Max(size, 0), Error: new ObjectError(StatusCodes.Status422UnprocessableEntity, "The object ID must be a SHA-256: 64 lower-case hexadecimal digits.")));
            else if (size < 0)
                answer.Add(new BatchObject(oid, 0, Error: new ObjectError(StatusCodes.Status422UnprocessableEntity, "The object size must be a whole number of bytes, at least zero.")));
            else if (!upload)
            {
                answer.Add(held.TryGetValue(oid, out var stored)
                    ? new BatchObject(oid, stored, true, new() { ["download"] = Link(LfsLinks.Download, oid, stored) })
                    : new BatchObject(oid, size, Error: new ObjectError(StatusCodes.Status404NotFound, "Object does not exist in this repository.")));
            }
            else if (size > settings.MaxObjectSize)
                answer.Add(new BatchObject(oid, size, Error: new ObjectError(StatusCodes.Status422UnprocessableEntity, SizeMessage(size, settings.MaxObjectSize))));
            else if (held.ContainsKey(oid))
                answer.Add(new BatchObject(oid, size, true));
            else
            {
                answer.Add(new BatchObject(oid, size, true, new()
                {
                    ["upload"] = Link(LfsLinks.Upload, oid, size),
                    ["verify"] = Link(LfsLinks.Verify, oid, size, "/verify"),
                }));
            }
        }
        await WriteAsync(context, StatusCodes.Status200OK, new BatchResponse("basic", answer));
    }

    private static async Task UploadAsync(HttpContext context, string owner, string repo, string oid, LfsTransferAccess transfers, LfsObjects objects,
        IOptions<LfsOptions> options, IOptions<GitOptions> git, TimeProvider clock, LatchkeyMetrics metrics, LeakedTokens leaks, ILogger<LfsObjects> logger)
    {
        var (target, link) = await transfers.AuthorizeAsync(context, owner, repo, oid, LfsLinks.Upload, RepoAction.Write);
        if (target is null)
            return;
        if (!LfsObjectStore.IsOid(oid))
        {
            await Answer(context, StatusCodes.Status422UnprocessableEntity, "The object ID must be a SHA-256: 64 lower-case hexadecimal digits.");
            return;
        }
        var length = context.Request.ContentLength;
        var size = link?.Size ?? length;
        if (size is null)
        {
            await Answer(context, StatusCodes.Status411LengthRequired, "An upload must say its Content-Length.");
            return;
        }
        if (length is not null && length != size)
        {
            await Answer(context, StatusCodes.Status422UnprocessableEntity, $"The upload is {length} bytes, but the object was announced as {size} bytes.");
            return;
        }
        var settings = options.Value;
        if (size > settings.MaxObjectSize)
        {
            await Answer(context, StatusCodes.Status413PayloadTooLarge, SizeMessage(size.Value, settings.MaxObjectSize));
            return;
        }
        if (await objects.HoldsAsync(target.Id, oid, context.RequestAborted))
        {
            // Already here: the body is not needed (an identical copy from a retried transfer).
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        if (settings.RepositoryQuotaBytes > 0)
        {
            var (used, _) = await objects.UsageAsync(target.Id, context.RequestAborted);
            if (used + size > settings.RepositoryQuotaBytes)
            {
                await Answer(context, StatusCodes.Status413PayloadTooLarge, QuotaMessage(target, used, size.Value, settings.RepositoryQuotaBytes));
                return;
            }
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = size.Value;
        // An upload runs no longer than a push may (Git:MaxPushMinutes), so what it leaves is a crash's leftover after that.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(git.Value.MaxPushMinutes), clock);
        using var upload = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        LfsWriteProblem problem;
        string? staged;
        try
        {
            (problem, staged) = await objects.Store.StageAsync(oid, size.Value, context.Request.BodyReader, upload.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            metrics.GitOperation("lfs-upload", false, 0, 0);
            if (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
                logger.LogWarning("An LFS upload to repository {RepositoryId} was cut after Git:MaxPushMinutes", target.Id);
            if (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
                await Answer(context, StatusCodes.Status400BadRequest, "The upload could not be read to its end; nothing was stored.");
            return;
        }
        if (problem != LfsWriteProblem.None)
        {
            metrics.GitOperation("lfs-upload", false, 0, 0);
            await Answer(context, StatusCodes.Status422UnprocessableEntity, problem == LfsWriteProblem.WrongHash
                ? $"The uploaded content does not hash to {oid} (SHA-256); nothing was stored."
                : $"The upload is not {size} bytes long, as the object was announced; nothing was stored.");
            return;
        }
        try
        {
            // Push protection holds for large files too: a text object (what push protection reads in a
            // push: up to Git:PushScanMaxBytes, no NUL byte in its first 8000) with a live token is refused.
            if (size <= git.Value.PushScanMaxBytes && await ReadTextAsync(staged!, context.RequestAborted) is { } text
                && await leaks.RevokeLiveInAsync(text, $"a Git LFS object uploaded to {target.Owner!.UserName}/{target.Name} ({oid[..12]})", CancellationToken.None))
            {
                metrics.PushProtectionRejection();
                await Answer(context, StatusCodes.Status422UnprocessableEntity,
                    "Push cannot contain secrets: this Git LFS object holds a live Latchkey personal access token, which has been revoked. " +
                    "Remove it from the file and push again; create a new token at Settings > Developer settings if you still need one.");
                return;
            }
            await objects.RecordAsync(target.Id, oid, size.Value, CancellationToken.None);
            objects.Store.Commit(oid, staged!);
            staged = null;
        }
        finally
        {
            LfsObjectStore.Discard(staged);
        }
        metrics.GitOperation("lfs-upload", true, size.Value, 0);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>A staged object's content as push protection reads text, or null when it is binary.</summary>
    private static async Task<string?> ReadTextAsync(string path, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct);
        return bytes.AsSpan(0, Math.Min(bytes.Length, 8000)).Contains((byte)0) ? null : System.Text.Encoding.Latin1.GetString(bytes);
    }

    private static async Task VerifyAsync(HttpContext context, string owner, string repo, string oid, LfsTransferAccess transfers, LfsObjects objects)
    {
        var (target, _) = await transfers.AuthorizeAsync(context, owner, repo, oid, LfsLinks.Verify, RepoAction.Write);
        if (target is null)
            return;
        var (request, problem) = await ReadJsonAsync<VerifyRequest>(context);
        if (request is null)
        {
            await Answer(context, problem!.Value.Status, problem.Value.Message);
            return;
        }
        if (request.Oid != oid || request.Size is not { } size || size < 0)
        {
            await Answer(context, StatusCodes.Status422UnprocessableEntity, "The verify request must name this object's oid and its size.");
            return;
        }
        var held = await objects.HeldAsync(target.Id, [oid], context.RequestAborted);
        if (!held.TryGetValue(oid, out var stored) || stored != size)
        {
            await Answer(context, StatusCodes.Status404NotFound, $"Object {oid} ({size} bytes) was not stored in this repository.");
            return;
        }
        await WriteAsync(context, StatusCodes.Status200OK, new { });
    }

    private static async Task DownloadAsync(HttpContext context, string owner, string repo, string oid, LfsTransferAccess transfers, LfsObjects objects, LatchkeyMetrics metrics)
    {
        var (target, _) = await transfers.AuthorizeAsync(context, owner, repo, oid, LfsLinks.Download, RepoAction.ReadContents);
        if (target is null)
            return;
        if (!LfsObjectStore.IsOid(oid) || !await objects.HoldsAsync(target.Id, oid, context.RequestAborted))
        {
            await Answer(context, StatusCodes.Status404NotFound, "Object does not exist in this repository.");
            return;
        }
        await ServeAsync(context, objects.Store, oid);
        metrics.GitOperation("lfs-download", true, 0, new FileInfo(objects.Store.PathOf(oid)).Length);
    }

    /// <summary>Sends an object's bytes from its file, 1 MiB at a time (<see cref="LargeChunkFileSender"/>; ranges for a resumed download).</summary>
    public static Task ServeAsync(HttpContext context, LfsObjectStore store, string oid, string contentType = "application/octet-stream", string? downloadName = null)
    {
        context.Response.Headers.CacheControl = "private, no-cache";
        LargeChunkFileSender.Install(context);
        return TypedResults.PhysicalFile(store.PathOf(oid), contentType, downloadName, enableRangeProcessing: true).ExecuteAsync(context);
    }

    public static string SizeMessage(long size, long max) =>
        $"This object is {Bytes(size)}: Git LFS objects on this server may be at most {Bytes(max)} (Lfs:MaxObjectSize).";

    public static string QuotaMessage(Repository repo, long used, long needed, long quota) =>
        $"Git LFS storage quota exceeded for {repo.Owner!.UserName}/{repo.Name}: it holds {Bytes(used)} of its {Bytes(quota)}, " +
        $"and this push needs {Bytes(needed)} more. Remove large files from the push or ask a site administrator to raise Lfs:RepositoryQuotaBytes.";

    /// <summary>Bytes as a person reads them: 1.5 GiB, 200 MiB, 12 KiB, 5 bytes.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
            return bytes == 1 ? "1 byte" : $"{bytes} bytes";
        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return (value % 1 == 0 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.#", CultureInfo.InvariantCulture)) + " " + units[unit];
    }

    /// <summary>The LFS door's refusals: <c>{"message": …}</c>, which git-lfs prints; a 401 carries Basic challenges so git-lfs asks its credential helper.</summary>
    public static Task Answer(HttpContext context, int status, string message)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{GitAccess.Realm}\"";
            context.Response.Headers["LFS-Authenticate"] = $"Basic realm=\"{GitAccess.Realm}\"";
        }
        return WriteAsync(context, status, new ErrorBody(message.TrimEnd('\n')));
    }

    public static async Task WriteAsync<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaType;
        await JsonSerializer.SerializeAsync(context.Response.Body, body, Json, context.RequestAborted);
    }

    /// <summary>A JSON request body of Git LFS (at most 1 MiB), or the 400/413 to answer.</summary>
    public static async Task<(T? Body, (int Status, string Message)? Problem)> ReadJsonAsync<T>(HttpContext context) where T : class
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxJsonBytes;
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Json, context.RequestAborted);
            return body is null ? (null, (StatusCodes.Status400BadRequest, "The request body must be a JSON object.")) : (body, null);
        }
        catch (JsonException)
        {
            return (null, (StatusCodes.Status400BadRequest, "The request body is not the JSON Git LFS sends."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, (StatusCodes.Status413PayloadTooLarge, "The request body is over 1 MiB."));
        }
    }
}

/// <summary>
/// Who may run one transfer: the signed link from the batch answer (its token asked about again, then
/// the policy), or, when a client sends credentials instead, the token door exactly as for the batch request.
/// </summary>
public sealed class LfsTransferAccess(GitAccess access, LfsLinks links, RepositoryService repositories, TokenVerifier verifier, Authorizer authorizer, CurrentCaller current)
{
    public async Task<(Repository? Repository, LfsLink? Link)> AuthorizeAsync(HttpContext context, string owner, string repo, string oid, string operation, RepoAction action)
    {
        if (!LfsLinks.Carries(context))
            return (await access.AuthorizeAsync(context, owner, repo, action, LfsHttp.Answer), null);

        var link = links.Read(context, operation, oid);
        if (link is null)
        {
            await LfsHttp.Answer(context, StatusCodes.Status401Unauthorized, "This transfer link has expired or is not for this object; run the command again.");
            return (null, null);
        }
        var target = await repositories.FindAsync(owner, repo, context.RequestAborted);
        if (target is null || target.Id != link.RepositoryId)
        {
            await LfsHttp.Answer(context, StatusCodes.Status404NotFound, "Repository not found.");
            return (null, null);
        }
        var caller = Caller.Anonymous;
        if (link.TokenId is { } tokenId)
        {
            var check = await verifier.RecheckAsync(tokenId, context.Connection.RemoteIpAddress, context.RequestAborted);
            if (TokenVerifier.PolicyRefusal(check.Result) is { } refusal)
            {
                await LfsHttp.Answer(context, StatusCodes.Status403Forbidden, refusal);
                return (null, null);
            }
            if (check.Result != TokenCheckResult.Valid)
            {
                await LfsHttp.Answer(context, StatusCodes.Status401Unauthorized,
                    "The token this transfer was authorized with has been revoked, has expired or belongs to a suspended account.");
                return (null, null);
            }
            caller = Caller.FromToken(check.Token!, check.User!);
        }
        current.SetFromLink(caller);
        var decision = await authorizer.DecideAsync(new RepositoryRequirement(action), target);
        return (await access.AnswerAsync(context, caller, target, action, decision, LfsHttp.Answer), link);
    }
}
