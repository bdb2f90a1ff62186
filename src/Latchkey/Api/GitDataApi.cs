using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>
/// GitHub's Git database API: refs, commits, trees, blobs and annotated tags read and written one
/// object at a time (<see cref="GitObjects"/>), and the repository's tags.
/// </summary>
public static class GitDataApi
{
    /// <summary>GitHub's blob API limit.</summary>
    public const long MaxBlobBytes = 100L * 1024 * 1024;

    public sealed record ObjectDto(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("url")] string Url);

    public sealed record RefDto(
        [property: JsonPropertyName("ref")] string Ref,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("object")] ObjectDto Target);

    public sealed record TreeItemDto(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("mode")] string Mode,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("size"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Size,
        [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url);

    public sealed record TreeDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("tree")] IReadOnlyList<TreeItemDto> Tree,
        [property: JsonPropertyName("truncated")] bool Truncated);

    public sealed record BlobDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("encoding")] string Encoding);

    public sealed record VerificationDto(
        [property: JsonPropertyName("verified")] bool Verified,
        [property: JsonPropertyName("reason")] string Reason,
        [property: JsonPropertyName("signature")] string? Signature,
        [property: JsonPropertyName("payload")] string? Payload)
    {
        public static readonly VerificationDto NoSignature = new(false, "unsigned", null, null);
    }

    public sealed record ParentDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl);

    public sealed record GitCommitDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("author")] ContentsApi.PersonDto Author,
        [property: JsonPropertyName("committer")] ContentsApi.PersonDto Committer,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("tree")] ContentsApi.ShaDto Tree,
        [property: JsonPropertyName("parents")] IReadOnlyList<ParentDto> Parents,
        [property: JsonPropertyName("verification")] VerificationDto Verification);

    public sealed record TagDto(
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("tag")] string Tag,
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("tagger"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ContentsApi.PersonDto? Tagger,
        [property: JsonPropertyName("object")] ObjectDto Target,
        [property: JsonPropertyName("verification")] VerificationDto Verification);

    public sealed record RepoTagDto(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("commit")] ContentsApi.ShaDto Commit,
        [property: JsonPropertyName("zipball_url")] string ZipballUrl,
        [property: JsonPropertyName("tarball_url")] string TarballUrl,
        [property: JsonPropertyName("node_id")] string NodeId);

    public sealed record NewBlob(
        [property: JsonPropertyName("content")] string? Content,
        [property: JsonPropertyName("encoding")] string? Encoding);

    /// <summary>An entry of POST …/git/trees; "sha": null (given, and null) removes the path, which an absent sha does not.</summary>
    public sealed class NewTreeItem
    {
        private readonly string? _sha;

        [JsonPropertyName("path")] public string? Path { get; init; }
        [JsonPropertyName("mode")] public string? Mode { get; init; }
        [JsonPropertyName("type")] public string? Type { get; init; }
        [JsonPropertyName("content")] public string? Content { get; init; }

        [JsonPropertyName("sha")]
        public string? Sha
        {
            get => _sha;
            init
            {
                _sha = value;
                ShaGiven = true;
            }
        }

        [JsonIgnore] public bool ShaGiven { get; private init; }
    }

    public sealed record NewTree(
        [property: JsonPropertyName("base_tree")] string? BaseTree,
        [property: JsonPropertyName("tree")] IReadOnlyList<NewTreeItem?>? Tree);

    public sealed record NewPerson(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("date")] string? Date);

    public sealed record NewCommit(
        [property: JsonPropertyName("message")] string? Message,
        [property: JsonPropertyName("tree")] string? Tree,
        [property: JsonPropertyName("parents")] IReadOnlyList<string?>? Parents,
        [property: JsonPropertyName("author")] NewPerson? Author,
        [property: JsonPropertyName("committer")] NewPerson? Committer);

    public sealed record NewTag(
        [property: JsonPropertyName("tag")] string? Tag,
        [property: JsonPropertyName("message")] string? Message,
        [property: JsonPropertyName("object")] string? Target,
        [property: JsonPropertyName("type")] string? Type,
        [property: JsonPropertyName("tagger")] NewPerson? Tagger);

    public sealed record NewRef(
        [property: JsonPropertyName("ref")] string? Ref,
        [property: JsonPropertyName("sha")] string? Sha);

    public sealed record RefUpdate(
        [property: JsonPropertyName("sha")] string? Sha,
        [property: JsonPropertyName("force")] bool? Force);

    public static RouteGroupBuilder MapGitDataApi(this RouteGroupBuilder api)
    {
        var read = api.MapGroup("/repos/{owner}/{repo}").Requires(new RepositoryRequirement(RepoAction.ReadContents));
        read.MapGet("/git/refs", RefsAsync);
        read.MapGet("/git/refs/{**ref}", RefOrRefsAsync);
        read.MapGet("/git/ref/{**ref}", RefAsync);
        read.MapGet("/git/matching-refs/{**ref}", MatchingRefsAsync);
        read.MapGet("/git/commits/{sha}", CommitAsync);
        read.MapGet("/git/trees/{**sha}", TreeAsync);
        read.MapGet("/git/blobs/{sha}", BlobAsync);
        read.MapGet("/git/tags/{sha}", TagAsync);
        read.MapGet("/tags", TagsAsync);

        // The same right as writing a file through the contents API.
        var write = api.MapGroup("/repos/{owner}/{repo}/git").Requires(new RepositoryRequirement(RepoAction.Write));
        write.MapPost("/blobs", CreateBlobAsync);
        write.MapPost("/trees", CreateTreeAsync);
        write.MapPost("/commits", CreateCommitAsync);
        write.MapPost("/tags", CreateTagAsync);
        write.MapPost("/refs", CreateRefAsync);
        write.MapPatch("/refs/{**ref}", UpdateRefAsync);
        write.MapDelete("/refs/{**ref}", DeleteRefAsync);
        return api;
    }

    private static string Full(Repository repo) => $"{repo.Owner!.UserName}/{repo.Name}";

    private static string NodeId(string type, Repository repo, string key) =>
        NodeIds.For(type, repo.Id) + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    private static string ObjectUrl(Repository repo, ApiUrls urls, string type, string sha) => $"{urls.Api}/repos/{Full(repo)}/git/{type}s/{sha}";

    private static ApiErrorResult Invalid(string resource, string field, string code, string? message = null) =>
        ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, "Invalid request.", [new ApiErrors.FieldError(resource, field, code, message)]);

    private static ApiErrorResult Unprocessable(string message) => ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, message);

    private static ApiErrorResult Refused(GitWrite write) => ApiErrors.Result(write.Status, write.Error!);

    private static readonly ApiErrorResult Secret = ApiErrors.Result(StatusCodes.Status409Conflict,
        "Push cannot contain secrets: the request holds a live Latchkey personal access token, which has been revoked.");

    // ---- refs ----

    private static RefDto ToDto(Repository repo, GitRef gitRef, ApiUrls urls) =>
        new(gitRef.Name, NodeId("Ref", repo, gitRef.Name), $"{urls.Api}/repos/{Full(repo)}/git/{CatchAllPath.Escape(gitRef.Name)}",
            new ObjectDto(gitRef.Type, gitRef.Sha, ObjectUrl(repo, urls, gitRef.Type, gitRef.Sha)));

    /// <summary>One page of refs (Link header written), or the paging error.</summary>
    private static Results<Ok<List<RefDto>>, ApiErrorResult> Page(HttpContext context, Repository repo, IReadOnlyList<GitRef> refs)
    {
        var (paging, error) = Paging.From(context.Request);
        if (error is not null)
            return error;
        paging!.WriteLinks(context, refs.Count);
        var urls = ApiUrls.Of(context.Request);
        return TypedResults.Ok(refs.Skip(paging.Skip).Take(paging.PerPage).Select(r => ToDto(repo, r, urls)).ToList());
    }

    private static async Task<Results<Ok<List<RefDto>>, ApiErrorResult>> RefsAsync(HttpContext context, CurrentCaller current, GitObjects git)
    {
        var refs = await git.RefsAsync(current.Repository!, context.RequestAborted);
        return refs.Count == 0 ? ApiErrors.Result(StatusCodes.Status409Conflict, "Git Repository is empty.") : Page(context, current.Repository!, refs);
    }

    /// <summary>As GitHub: one ref for an exact name (heads/main), else every ref it starts (heads, tags/v1), else 404.</summary>
    private static async Task<Results<Ok<RefDto>, Ok<List<RefDto>>, ApiErrorResult>> RefOrRefsAsync(HttpContext context, string? @ref, CurrentCaller current, GitObjects git)
    {
        var found = current.Repository!;
        if (CatchAllPath.Decode(context, @ref) is not { Length: > 0 } name)
            return ApiErrors.NotFound();
        var refs = await git.RefsAsync(found, context.RequestAborted);
        if (refs.FirstOrDefault(r => r.Name == "refs/" + name) is { } exact)
            return TypedResults.Ok(ToDto(found, exact, ApiUrls.Of(context.Request)));
        var matching = refs.Where(r => r.Name.StartsWith("refs/" + name, StringComparison.Ordinal)).ToList();
        if (matching.Count == 0)
            return ApiErrors.NotFound();
        return Page(context, found, matching).Result switch
        {
            Ok<List<RefDto>> page => page,
            var error => (ApiErrorResult)error,
        };
    }

    private static async Task<Results<Ok<RefDto>, ApiErrorResult>> RefAsync(HttpContext context, string? @ref, CurrentCaller current, GitObjects git)
    {
        var name = "refs/" + CatchAllPath.Decode(context, @ref);
        var match = (await git.RefsAsync(current.Repository!, context.RequestAborted)).FirstOrDefault(r => r.Name == name);
        return match is null ? ApiErrors.NotFound() : TypedResults.Ok(ToDto(current.Repository!, match, ApiUrls.Of(context.Request)));
    }

    private static async Task<Results<Ok<List<RefDto>>, ApiErrorResult>> MatchingRefsAsync(HttpContext context, string? @ref, CurrentCaller current, GitObjects git)
    {
        if (CatchAllPath.Decode(context, @ref) is not { } prefix)
            return ApiErrors.NotFound();
        var refs = await git.RefsAsync(current.Repository!, context.RequestAborted);
        return Page(context, current.Repository!, refs.Where(r => r.Name.StartsWith("refs/" + prefix, StringComparison.Ordinal)).ToList());
    }

    /// <summary>What a ref may be set to: an object that exists, and a commit for a branch; the ref as it will be, or why not.</summary>
    private static async Task<(GitRef? Ref, ApiErrorResult? Error)> TargetAsync(Repository repo, string fullName, string sha, GitObjects git, CancellationToken ct)
    {
        var type = await git.TypeOfAsync(repo, sha, ct);
        if (type is null)
            return (null, Unprocessable("Object does not exist"));
        if (fullName.StartsWith("refs/heads/", StringComparison.Ordinal) && type != "commit")
            return (null, Unprocessable($"A branch must point at a commit; {sha} is a {type}."));
        return (new GitRef(fullName, sha, type), null);
    }

    private static async Task<Results<Created<RefDto>, ApiErrorResult>> CreateRefAsync(HttpContext context, CurrentCaller current, GitObjects git,
        RepositoryService repositories, LeakedTokens tokens)
    {
        var found = current.Repository!;
        var (body, invalid) = await ApiJson.ReadAsync<NewRef>(context);
        if (invalid is not null)
            return invalid;
        if (body!.Ref is not { } name)
            return Invalid("Reference", "ref", "missing_field");
        if (body.Sha is not { } sha)
            return Invalid("Reference", "sha", "missing_field");
        if (await tokens.RevokeLiveInAsync(name, $"a ref created in {Full(found)} through the API", context.RequestAborted))
            return Secret;
        // GitHub's rule: refs/ and at least two slashes; then git's own (refs/heads/HEAD is no branch).
        var branch = name.StartsWith("refs/heads/", StringComparison.Ordinal);
        if (name.Count(c => c == '/') < 2 || !GitRefNames.IsValidFullName(name) || (branch && !GitRefNames.IsValidBranchName(name["refs/heads/".Length..])))
            return Unprocessable(GitRefNames.NotValid(name));
        var (target, refused) = await TargetAsync(found, name, sha, git, context.RequestAborted);
        if (refused is not null)
            return refused;
        if (!await git.MoveRefAsync(found, name, expected: null, sha, context.RequestAborted))
            return Unprocessable(await git.RefTargetAsync(found, name, context.RequestAborted) is null ? "Reference update failed" : "Reference already exists");
        await repositories.RecordPushAsync(found, context.RequestAborted);
        var dto = ToDto(found, target!, ApiUrls.Of(context.Request));
        return TypedResults.Created(dto.Url, dto);
    }

    private static async Task<Results<Ok<RefDto>, ApiErrorResult>> UpdateRefAsync(HttpContext context, string? @ref, CurrentCaller current, GitObjects git,
        RepositoryService repositories)
    {
        var found = current.Repository!;
        var (body, invalid) = await ApiJson.ReadAsync<RefUpdate>(context);
        if (invalid is not null)
            return invalid;
        var name = "refs/" + CatchAllPath.Decode(context, @ref);
        if (body!.Sha is not { } sha)
            return Invalid("Reference", "sha", "missing_field");
        if (await git.RefTargetAsync(found, name, context.RequestAborted) is not { } old)
            return Unprocessable("Reference does not exist");
        var (target, refused) = await TargetAsync(found, name, sha, git, context.RequestAborted);
        if (refused is not null)
            return refused;
        if (body.Force != true && !await git.IsAncestorAsync(found, old, sha, context.RequestAborted))
            return Unprocessable("Update is not a fast forward");
        if (!await git.MoveRefAsync(found, name, old, sha, context.RequestAborted))
            return ApiErrors.Result(StatusCodes.Status409Conflict, $"{name} moved while it was being updated; try again.");
        await repositories.RecordPushAsync(found, context.RequestAborted);
        return TypedResults.Ok(ToDto(found, target!, ApiUrls.Of(context.Request)));
    }

    private static async Task<Results<NoContent, ApiErrorResult>> DeleteRefAsync(HttpContext context, string? @ref, CurrentCaller current, GitObjects git,
        RepositoryService repositories)
    {
        var found = current.Repository!;
        var name = "refs/" + CatchAllPath.Decode(context, @ref);
        if (await git.RefTargetAsync(found, name, context.RequestAborted) is not { } old)
            return Unprocessable("Reference does not exist");
        if (!await git.MoveRefAsync(found, name, old, sha: null, context.RequestAborted))
            return ApiErrors.Result(StatusCodes.Status409Conflict, $"{name} moved while it was being deleted; try again.");
        await repositories.RecordPushAsync(found, context.RequestAborted);
        return TypedResults.NoContent();
    }

    // ---- commits ----

    private static GitCommitDto ToDto(Repository repo, CommitDetails commit, ApiUrls urls) =>
        new(commit.Sha, NodeIds.For("Commit", repo.Id) + commit.Sha[..8], ObjectUrl(repo, urls, "commit", commit.Sha), $"{urls.Web}/{Full(repo)}/commit/{commit.Sha}",
            new ContentsApi.PersonDto(commit.AuthorName, commit.AuthorEmail, commit.AuthorDate),
            new ContentsApi.PersonDto(commit.CommitterName, commit.CommitterEmail, commit.CommitterDate),
            commit.Message, new ContentsApi.ShaDto(commit.Tree, ObjectUrl(repo, urls, "tree", commit.Tree)),
            commit.Parents.Select(p => new ParentDto(p, ObjectUrl(repo, urls, "commit", p), $"{urls.Web}/{Full(repo)}/commit/{p}")).ToList(),
            VerificationDto.NoSignature);

    private static async Task<Results<Ok<GitCommitDto>, ApiErrorResult>> CommitAsync(HttpContext context, string sha, CurrentCaller current, GitObjects git, RepositoryStore store)
    {
        var found = current.Repository!;
        if (await git.TypeOfAsync(found, sha, context.RequestAborted) != "commit" || await store.CommitAsync(found, sha, context.RequestAborted) is not { } commit)
            return ApiErrors.NotFound();
        return TypedResults.Ok(ToDto(found, commit, ApiUrls.Of(context.Request)));
    }

    /// <summary>An identity from a request (name and email, the date defaulting to now), or <paramref name="fallback"/> when none is given.</summary>
    private static (GitSignature? Signature, ApiErrorResult? Error) Signature(NewPerson? person, string field, GitSignature fallback)
    {
        if (person is null)
            return (fallback, null);
        if (person.Name is null || person.Email is null)
            return (null, Invalid("Commit", field + (person.Name is null ? ".name" : ".email"), "missing_field"));
        var when = fallback.When;
        if (person.Date is { } date && !DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out when))
            return (null, Invalid("Commit", field + ".date", "invalid", $"{field}.date is not a valid date."));
        var signature = new GitSignature(person.Name, person.Email, when);
        return signature.IsValid ? (signature, null) : (null, Invalid("Commit", field, "invalid", $"{field} needs a name and an email without angle brackets or line breaks."));
    }

    private static GitSignature Identity(CurrentCaller current, TimeProvider clock)
    {
        var who = CommitIdentity.Of(current.Caller.User!);
        return new GitSignature(who.Name, who.Email, clock.GetUtcNow());
    }

    private static async Task<Results<Created<GitCommitDto>, ApiErrorResult>> CreateCommitAsync(HttpContext context, CurrentCaller current, GitObjects git,
        RepositoryStore store, LeakedTokens tokens, TimeProvider clock)
    {
        var found = current.Repository!;
        var ct = context.RequestAborted;
        var (body, invalid) = await ApiJson.ReadAsync<NewCommit>(context);
        if (invalid is not null)
            return invalid;
        if (body!.Message is not { } message)
            return Invalid("Commit", "message", "missing_field");
        if (body.Tree is not { } tree)
            return Invalid("Commit", "tree", "missing_field");
        var (author, authorError) = Signature(body.Author, "author", Identity(current, clock));
        if (authorError is not null)
            return authorError;
        var (committer, committerError) = Signature(body.Committer, "committer", author!);
        if (committerError is not null)
            return committerError;
        if (await tokens.RevokeLiveInAsync($"{message}\n{author}\n{committer}", $"a commit written to {Full(found)} through the API", ct))
            return Secret;
        if (await git.TypeOfAsync(found, tree, ct) != "tree")
            return Unprocessable("Tree SHA does not exist");
        var parents = body.Parents ?? [];
        foreach (var parent in parents)
        {
            if (parent is null || await git.TypeOfAsync(found, parent, ct) != "commit")
                return Unprocessable("Parent SHA does not exist or is not a commit object");
        }
        var written = await git.WriteCommitAsync(found, tree, parents!, message, author!, committer!, ct);
        if (written.Error is not null)
            return Refused(written);
        var dto = ToDto(found, (await store.CommitAsync(found, written.Sha!, ct))!, ApiUrls.Of(context.Request));
        return TypedResults.Created(dto.Url, dto);
    }

    // ---- trees ----

    private static async Task<TreeDto> ToDtoAsync(Repository repo, string sha, bool recursive, GitObjects git, ApiUrls urls, CancellationToken ct)
    {
        var tree = await git.TreeAsync(repo, sha, recursive, ct);
        return new TreeDto(tree.Sha, ObjectUrl(repo, urls, "tree", tree.Sha),
            tree.Items.Select(i => new TreeItemDto(i.Path, i.Mode, i.Type, i.Sha, i.Type == "blob" ? i.Size : null, i.Type == "commit" ? null : ObjectUrl(repo, urls, i.Type, i.Sha))).ToList(),
            tree.Truncated);
    }

    private static async Task<Results<Ok<TreeDto>, ApiErrorResult>> TreeAsync(HttpContext context, string? sha, CurrentCaller current, GitObjects git)
    {
        var found = current.Repository!;
        // A tree's sha, or a commit, tag or ref name leading to one (main, feature%2Fx).
        if (CatchAllPath.Decode(context, sha) is not { } name || await git.TreeOfAsync(found, name, context.RequestAborted) is not { } tree)
            return ApiErrors.NotFound();
        // As on GitHub, any value of recursive (even 0 or false) lists the whole tree.
        var recursive = context.Request.Query.ContainsKey("recursive");
        return TypedResults.Ok(await ToDtoAsync(found, tree, recursive, git, ApiUrls.Of(context.Request), context.RequestAborted));
    }

    private static async Task<Results<Created<TreeDto>, ApiErrorResult>> CreateTreeAsync(HttpContext context, CurrentCaller current, GitObjects git, LeakedTokens tokens)
    {
        var found = current.Repository!;
        var ct = context.RequestAborted;
        var (body, invalid) = await ApiJson.ReadAsync<NewTree>(context, tooLarge: "The request is too large for the Git data API; push large trees with git.");
        if (invalid is not null)
            return invalid;
        if (body!.Tree is not { } items)
            return Invalid("Tree", "tree", "missing_field");
        if (body.BaseTree is { } baseTree && await git.TypeOfAsync(found, baseTree, ct) != "tree")
            return Invalid("Tree", "base_tree", "invalid", "base_tree is not a valid tree.");
        var types = await git.TypesOfAsync(found, items.Select(i => i?.Sha).OfType<string>(), ct);
        var entries = new List<NewTreeEntry>();
        var scanned = new StringBuilder();
        foreach (var item in items)
        {
            if (item?.Path is not { } path)
                return Invalid("Tree", "tree.path", "missing_field");
            if (path.Contains('\0', StringComparison.Ordinal) || path.Split('/').Any(part => part is "" or "." or ".."))
                return Unprocessable("tree.path contains a malformed path component");
            var mode = item.Mode ?? (item.Type == "tree" ? "040000" : "100644");
            // Git writes a tree's mode as 40000; GitHub takes both.
            mode = mode == "40000" ? "040000" : mode;
            var type = item.Type ?? (mode switch { "040000" => "tree", "160000" => "commit", _ => "blob" });
            if (!GitObjects.IsValidEntry(mode, type))
                return Invalid("Tree", "tree.mode", "invalid", $"tree.mode {mode} does not fit tree.type {type}.");
            scanned.Append(path).Append('\n');
            if (item.Content is { } content)
            {
                if (item.Sha is not null || type != "blob")
                    return Invalid("Tree", "tree.content", "invalid", "tree.content is for a new blob, without tree.sha.");
                var bytes = Encoding.UTF8.GetBytes(content);
                scanned.Append(content).Append('\n');
                entries.Add(new NewTreeEntry(path, mode, type, null, bytes));
            }
            else if (item.Sha is { } sha)
            {
                // A submodule's commit lives in another repository; everything else must be here, of its type.
                if (type == "commit" ? !GitObjects.IsSha(sha) : types.GetValueOrDefault(sha) != type)
                    return Unprocessable($"tree.sha {sha} is not a valid {type}");
                entries.Add(new NewTreeEntry(path, mode, type, sha, null));
            }
            else if (item.ShaGiven)
            {
                entries.Add(new NewTreeEntry(path, mode, type, null, null));
            }
            else
            {
                return Invalid("Tree", "tree.sha", "missing_field", "Each tree entry needs a sha, content, or \"sha\": null to remove it.");
            }
        }
        if (await tokens.RevokeLiveInAsync(scanned.ToString(), $"a tree written to {Full(found)} through the API", ct))
            return Secret;
        var written = await git.WriteTreeAsync(found, body.BaseTree, entries, ct);
        if (written.Error is not null)
            return Refused(written);
        var dto = await ToDtoAsync(found, written.Sha!, recursive: false, git, ApiUrls.Of(context.Request), ct);
        return TypedResults.Created(dto.Url, dto);
    }

    // ---- blobs ----

    private static async Task<Results<Ok<BlobDto>, FileContentHttpResult, ApiErrorResult>> BlobAsync(HttpContext context, string sha, CurrentCaller current, GitObjects git)
    {
        var found = current.Repository!;
        if (!GitObjects.IsSha(sha))
            return Unprocessable("The sha parameter must be exactly 40 characters and contain only [0-9a-f].");
        if (await git.TypeOfAsync(found, sha, context.RequestAborted) != "blob")
            return ApiErrors.NotFound();
        if (await git.BlobAsync(found, sha, MaxBlobBytes, context.RequestAborted) is not { } bytes)
            return ApiErrors.Result(StatusCodes.Status403Forbidden, "This blob is too large to be returned by the Git data API (over 100 MB); use git.");
        // GitHub's raw media type (and v3's, which Octokit asks for) answers the bytes themselves.
        var raw = context.Request.Headers.Accept.SelectMany(a => (a ?? "").Split(',')).Select(a => a.Split(';')[0].Trim().ToLowerInvariant())
            .FirstOrDefault(a => a is "application/vnd.github.raw" or "application/vnd.github.v3.raw");
        if (raw is not null)
            return TypedResults.Bytes(bytes, raw);
        // Base64 in lines of 60 characters, as GitHub sends it.
        return TypedResults.Ok(new BlobDto(sha, NodeIds.For("Blob", found.Id) + sha[..8], bytes.Length, ObjectUrl(found, ApiUrls.Of(context.Request), "blob", sha),
            string.Concat(Convert.ToBase64String(bytes).Chunk(60).Select(line => new string(line) + "\n")), "base64"));
    }

    private static async Task<Results<Created<ContentsApi.ShaDto>, ApiErrorResult>> CreateBlobAsync(HttpContext context, CurrentCaller current, GitObjects git, LeakedTokens tokens)
    {
        var found = current.Repository!;
        var (body, invalid) = await ApiJson.ReadAsync<NewBlob>(context, tooLarge: "The request is too large for the Git data API; push large files with git.");
        if (invalid is not null)
            return invalid;
        if (body!.Content is not { } content)
            return Invalid("Blob", "content", "missing_field");
        byte[] bytes;
        switch (body.Encoding?.ToLowerInvariant())
        {
            case null or "utf-8" or "utf8":
                bytes = Encoding.UTF8.GetBytes(content);
                break;
            case "base64":
                try
                {
                    bytes = Convert.FromBase64String(content);
                }
                catch (FormatException)
                {
                    return Invalid("Blob", "content", "invalid", "content is not valid Base64.");
                }
                break;
            default:
                return Invalid("Blob", "encoding", "invalid", "encoding must be utf-8 or base64.");
        }
        if (await tokens.RevokeLiveInAsync(Encoding.Latin1.GetString(bytes), $"a blob written to {Full(found)} through the API", context.RequestAborted))
            return Secret;
        var written = await git.WriteBlobAsync(found, bytes, context.RequestAborted);
        if (written.Error is not null)
            return Refused(written);
        var dto = new ContentsApi.ShaDto(written.Sha!, ObjectUrl(found, ApiUrls.Of(context.Request), "blob", written.Sha!));
        return TypedResults.Created(dto.Url, dto);
    }

    // ---- tags ----

    private static TagDto ToDto(Repository repo, GitTag tag, ApiUrls urls) =>
        new(NodeIds.For("Tag", repo.Id) + tag.Sha[..8], tag.Name, tag.Sha, ObjectUrl(repo, urls, "tag", tag.Sha), tag.Message,
            tag.Tagger is { } t ? new ContentsApi.PersonDto(t.Name, t.Email, t.When) : null,
            new ObjectDto(tag.ObjectType, tag.ObjectSha, ObjectUrl(repo, urls, tag.ObjectType, tag.ObjectSha)), VerificationDto.NoSignature);

    private static async Task<Results<Ok<TagDto>, ApiErrorResult>> TagAsync(HttpContext context, string sha, CurrentCaller current, GitObjects git)
    {
        var found = current.Repository!;
        if (await git.TypeOfAsync(found, sha, context.RequestAborted) != "tag" || await git.TagAsync(found, sha, context.RequestAborted) is not { } tag)
            return ApiErrors.NotFound();
        return TypedResults.Ok(ToDto(found, tag, ApiUrls.Of(context.Request)));
    }

    private static async Task<Results<Created<TagDto>, ApiErrorResult>> CreateTagAsync(HttpContext context, CurrentCaller current, GitObjects git,
        LeakedTokens tokens, TimeProvider clock)
    {
        var found = current.Repository!;
        var ct = context.RequestAborted;
        var (body, invalid) = await ApiJson.ReadAsync<NewTag>(context);
        if (invalid is not null)
            return invalid;
        if (body!.Tag is not { } name)
            return Invalid("Tag", "tag", "missing_field");
        if (body.Message is not { } message)
            return Invalid("Tag", "message", "missing_field");
        if (body.Target is not { } target)
            return Invalid("Tag", "object", "missing_field");
        if (body.Type is not ("commit" or "tree" or "blob" or "tag"))
            return Invalid("Tag", "type", body.Type is null ? "missing_field" : "invalid", "type must be commit, tree, blob or tag.");
        var (tagger, taggerError) = Signature(body.Tagger, "tagger", Identity(current, clock));
        if (taggerError is not null)
            return taggerError;
        if (await tokens.RevokeLiveInAsync($"{name}\n{message}\n{tagger}", $"a tag written to {Full(found)} through the API", ct))
            return Secret;
        if (!GitRefNames.IsValidFullName("refs/tags/" + name))
            return Unprocessable(GitRefNames.NotValid("refs/tags/" + name));
        var type = await git.TypeOfAsync(found, target, ct);
        if (type is null)
            return Unprocessable("Object does not exist");
        if (type != body.Type)
            return Invalid("Tag", "type", "invalid", $"{target} is a {type}, not a {body.Type}.");
        var written = await git.WriteTagAsync(found, name, message, target, type, tagger!, ct);
        if (written.Error is not null)
            return Refused(written);
        var dto = ToDto(found, (await git.TagAsync(found, written.Sha!, ct))!, ApiUrls.Of(context.Request));
        return TypedResults.Created(dto.Url, dto);
    }

    private static async Task<Results<Ok<List<RepoTagDto>>, ApiErrorResult>> TagsAsync(HttpContext context, CurrentCaller current, GitObjects git)
    {
        var found = current.Repository!;
        var (paging, error) = Paging.From(context.Request);
        if (error is not null)
            return error;
        var tags = await git.TagsAsync(found, context.RequestAborted);
        paging!.WriteLinks(context, tags.Count);
        var urls = ApiUrls.Of(context.Request);
        var full = Full(found);
        return TypedResults.Ok(tags.Skip(paging.Skip).Take(paging.PerPage).Select(t => new RepoTagDto(t.Name,
            new ContentsApi.ShaDto(t.Commit, $"{urls.Api}/repos/{full}/commits/{t.Commit}"),
            $"{urls.Api}/repos/{full}/zipball/refs/tags/{CatchAllPath.Escape(t.Name)}",
            $"{urls.Api}/repos/{full}/tarball/refs/tags/{CatchAllPath.Escape(t.Name)}",
            NodeId("Ref", found, "refs/tags/" + t.Name))).ToList());
    }
}
