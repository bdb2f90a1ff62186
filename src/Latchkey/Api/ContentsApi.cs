using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>The contents API: read files and folders, and write or delete a file as a real commit.</summary>
public static partial class ContentsApi
{
    public const long MaxFileBytes = 1024 * 1024;

    public sealed record WriteFile(
        [property: JsonPropertyName("message")] string? Message,
        [property: JsonPropertyName("content")] string? Content,
        [property: JsonPropertyName("sha")] string? Sha,
        [property: JsonPropertyName("branch")] string? Branch);

    public sealed record LinksDto(
        [property: JsonPropertyName("self")] string Self,
        [property: JsonPropertyName("git")] string Git,
        [property: JsonPropertyName("html")] string Html);

    public sealed record ContentDto(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("encoding"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Encoding,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content,
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("git_url")] string GitUrl,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("download_url")] string? DownloadUrl,
        [property: JsonPropertyName("_links")] LinksDto Links);

    public sealed record PersonDto(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("email")] string Email,
        [property: JsonPropertyName("date")] DateTimeOffset Date);

    public sealed record ShaDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("url")] string Url);

    public sealed record CommitDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("author")] PersonDto Author,
        [property: JsonPropertyName("committer")] PersonDto Committer,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("tree")] ShaDto Tree,
        [property: JsonPropertyName("parents")] IReadOnlyList<ShaDto> Parents);

    public sealed record ChangeDto(
        [property: JsonPropertyName("content")] ContentDto? Content,
        [property: JsonPropertyName("commit")] CommitDto Commit);

    public static RouteGroupBuilder MapContentsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/repos/{owner}/{repo}/readme", ReadmeAsync).Requires(new RepositoryRequirement(RepoAction.ReadContents));
        api.MapGet("/repos/{owner}/{repo}/contents/{**path}", GetAsync).Requires(new RepositoryRequirement(RepoAction.ReadContents));
        api.MapPut("/repos/{owner}/{repo}/contents/{**path}", PutAsync).Requires(new RepositoryRequirement(RepoAction.Write));
        api.MapDelete("/repos/{owner}/{repo}/contents/{**path}", DeleteAsync).Requires(new RepositoryRequirement(RepoAction.Write));
        return api;
    }

    private static async Task<Results<Ok<ContentDto>, Ok<List<ContentDto>>, FileContentHttpResult, PhysicalFileHttpResult, ApiErrorResult>> GetAsync(HttpContext context,
        string? path, CurrentCaller current, RepositoryStore store, Lfs.LfsObjects lfs)
    {
        var found = current.Repository!;
        if (CatchAllPath.Decode(context, path) is not { } decoded)
            return ApiErrors.NotFound();
        path = decoded.Trim('/');
        var gitRef = await RefAsync(context, found, store);
        if (gitRef is null)
            return ApiErrors.Result(StatusCodes.Status404NotFound, "This repository is empty.");
        var urls = ApiUrls.Of(context.Request);
        switch (await store.ObjectTypeAsync(found, gitRef, path, context.RequestAborted))
        {
            case "blob":
                // GitHub's raw media type: the file's bytes, and for a Git LFS pointer the file it stands for.
                if (context.Request.Headers.Accept.ToString().Contains("application/vnd.github.raw", StringComparison.OrdinalIgnoreCase))
                {
                    var raw = await store.ReadBlobAsync(found, gitRef, path, MaxFileBytes * 100, context.RequestAborted);
                    if (raw is null)
                        return TooLarge();
                    if (Lfs.LfsPointer.TryParse(raw) is { } pointer && await lfs.HoldsAsync(found.Id, pointer.Oid, context.RequestAborted))
                        return TypedResults.PhysicalFile(lfs.Store.PathOf(pointer.Oid), "application/vnd.github.raw", enableRangeProcessing: true);
                    return TypedResults.File(raw, "application/vnd.github.raw");
                }
                if (await FileAsync(context, found, store, gitRef, path, urls) is { } file)
                    return TypedResults.Ok(file);
                return TooLarge();
            case "tree":
                var entries = await store.ListTreeAsync(found, gitRef, path, context.RequestAborted);
                return TypedResults.Ok(entries.Select(e => Entry(found, gitRef, RepositoryBrowser.Combine(path, e.Name), e, urls)).ToList());
            default:
                return ApiErrors.NotFound();
        }
    }

    private static async Task<Results<Ok<ContentDto>, ApiErrorResult>> ReadmeAsync(HttpContext context, CurrentCaller current, RepositoryStore store)
    {
        var found = current.Repository!;
        var gitRef = await RefAsync(context, found, store);
        if (gitRef is null)
            return ApiErrors.NotFound();
        var readme = (await store.ListTreeAsync(found, gitRef, "", context.RequestAborted))
            .FirstOrDefault(e => !e.IsDirectory && e.Name.StartsWith("README", StringComparison.OrdinalIgnoreCase));
        if (readme is null)
            return ApiErrors.NotFound();
        if (await FileAsync(context, found, store, gitRef, readme.Name, ApiUrls.Of(context.Request)) is { } file)
            return TypedResults.Ok(file);
        return TooLarge();
    }

    private static Task<Results<Ok<ChangeDto>, Created<ChangeDto>, ApiErrorResult>> PutAsync(HttpContext context, string? path, CurrentCaller current,
        RepositoryService repositories, RepositoryStore store, RepositoryWriter writer, LeakedTokens tokens) =>
        ChangeAsync(context, path, delete: false, current, repositories, store, writer, tokens);

    private static Task<Results<Ok<ChangeDto>, Created<ChangeDto>, ApiErrorResult>> DeleteAsync(HttpContext context, string? path, CurrentCaller current,
        RepositoryService repositories, RepositoryStore store, RepositoryWriter writer, LeakedTokens tokens) =>
        ChangeAsync(context, path, delete: true, current, repositories, store, writer, tokens);

    private static async Task<Results<Ok<ChangeDto>, Created<ChangeDto>, ApiErrorResult>> ChangeAsync(HttpContext context, string? path, bool delete, CurrentCaller current,
        RepositoryService repositories, RepositoryStore store, RepositoryWriter writer, LeakedTokens tokens)
    {
        var found = current.Repository!;
        // Decoded once, %2F included, as GitHub does: "docs%2Fnested%2Fa.md" is a file in docs/nested.
        path = CatchAllPath.Decode(context, path)?.Trim('/') ?? "";
        var (body, invalid) = await ApiJson.ReadAsync<WriteFile>(context, tooLarge: "The request is too large for the contents API; push large files with git.");
        if (invalid is not null)
            return invalid;
        if (string.IsNullOrWhiteSpace(body!.Message))
            return ApiErrors.Validation(new ApiErrors.FieldError("Content", "message", "missing_field"));
        byte[]? content = null;
        if (!delete)
        {
            if (body.Content is null)
                return ApiErrors.Validation(new ApiErrors.FieldError("Content", "content", "missing_field"));
            try
            {
                content = Convert.FromBase64String(body.Content);
            }
            catch (FormatException)
            {
                return ApiErrors.Validation(new ApiErrors.FieldError("Content", "content", "invalid", "content is not valid Base64"));
            }
            if (content.Length > MaxFileBytes * 100)
                return ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, "The file is too large for the contents API; push it with git.");
            // Push protection holds here too: a live token never lands through the API, in the file,
            // its path, the branch or the commit message.
            var text = System.Text.Encoding.Latin1.GetString(content) + "\n" + path + "\n" + body.Branch + "\n" + body.Message;
            if (await tokens.RevokeLiveInAsync(text, $"a file written to {found.Owner!.UserName}/{found.Name} through the API ({path})", context.RequestAborted))
                return ApiErrors.Result(StatusCodes.Status409Conflict, "Push cannot contain secrets: the file holds a live Latchkey personal access token, which has been revoked.");
        }
        if (path.Split('/').Any(part => part.Equals(".git", StringComparison.OrdinalIgnoreCase) || part.Length == 0))
            return ApiErrors.Validation(new ApiErrors.FieldError("Content", "path", "invalid", "path is not a valid file path."));
        var user = current.Caller.User!;
        // A branch is named as git names it: "HEAD", "refs/heads/main" or "main.lock" are not branch names.
        if (body.Branch is { } named && !GitRefNames.IsValidBranchName(named))
            return ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, GitRefNames.NotValid("refs/heads/" + named));
        var branch = body.Branch ?? await store.DefaultBranchAsync(found, context.RequestAborted) ?? RepositoryStore.InitialBranch;
        var who = CommitIdentity.Of(user);
        var result = await writer.WriteFileAsync(found, branch, path, content, body.Message, body.Sha, who, context.RequestAborted);
        if (result.Error is not null)
            return result.Field is { } field ? ApiErrors.Validation(new ApiErrors.FieldError("Content", field, "invalid", result.Error)) : ApiErrors.Result(result.Status, result.Error);
        await repositories.RecordPushAsync(found, context.RequestAborted);

        var urls = ApiUrls.Of(context.Request);
        var commit = await store.CommitAsync(found, result.CommitSha!, context.RequestAborted);
        var file = delete ? null : await FileAsync(context, found, store, branch, path, urls, includeContent: false);
        var change = new ChangeDto(file, ToDto(found, commit!, urls));
        if (!delete && result.Status == StatusCodes.Status201Created)
            return TypedResults.Created(file?.Url, change);
        return TypedResults.Ok(change);
    }

    private static async Task<string?> RefAsync(HttpContext context, Repository repo, RepositoryStore store) =>
        context.Request.Query["ref"].ToString() is { Length: > 0 } requested ? requested : await store.DefaultBranchAsync(repo, context.RequestAborted);

    private static async Task<ContentDto?> FileAsync(HttpContext context, Repository repo, RepositoryStore store, string gitRef, string path, ApiUrls urls, bool includeContent = true)
    {
        var bytes = await store.ReadBlobAsync(repo, gitRef, path, MaxFileBytes, context.RequestAborted);
        var sha = await store.ObjectIdAsync(repo, gitRef, path, context.RequestAborted);
        if (bytes is null || sha is null)
            return null;
        var full = $"{repo.Owner!.UserName}/{repo.Name}";
        var name = path.Contains('/', StringComparison.Ordinal) ? path[(path.LastIndexOf('/') + 1)..] : path;
        var self = $"{urls.Api}/repos/{full}/contents/{CatchAllPath.Escape(path)}?ref={Uri.EscapeDataString(gitRef)}";
        var git = $"{urls.Api}/repos/{full}/git/blobs/{sha}";
        var html = $"{urls.Web}/{full}/blob/{Uri.EscapeDataString(gitRef)}/{CatchAllPath.Escape(path)}";
        return new ContentDto("file", "base64", bytes.Length, name, path, includeContent ? Convert.ToBase64String(bytes, Base64FormattingOptions.InsertLineBreaks) : null,
            sha, self, git, html, $"{urls.Web}/{full}/raw/{Uri.EscapeDataString(gitRef)}/{CatchAllPath.Escape(path)}", new LinksDto(self, git, html));
    }

    private static ContentDto Entry(Repository repo, string gitRef, string path, TreeEntry entry, ApiUrls urls)
    {
        var full = $"{repo.Owner!.UserName}/{repo.Name}";
        var self = $"{urls.Api}/repos/{full}/contents/{CatchAllPath.Escape(path)}?ref={Uri.EscapeDataString(gitRef)}";
        var git = $"{urls.Api}/repos/{full}/git/{(entry.IsDirectory ? "trees" : "blobs")}/{entry.Sha}";
        var html = $"{urls.Web}/{full}/{(entry.IsDirectory ? "tree" : "blob")}/{Uri.EscapeDataString(gitRef)}/{CatchAllPath.Escape(path)}";
        return new ContentDto(entry.IsDirectory ? "dir" : "file", null, entry.Size ?? 0, entry.Name, path, null, entry.Sha, self, git, html,
            entry.IsDirectory ? null : $"{urls.Web}/{full}/raw/{Uri.EscapeDataString(gitRef)}/{CatchAllPath.Escape(path)}", new LinksDto(self, git, html));
    }

    public static CommitDto ToDto(Repository repo, CommitDetails commit, ApiUrls urls)
    {
        var full = $"{repo.Owner!.UserName}/{repo.Name}";
        return new CommitDto(commit.Sha, NodeIds.For("Commit", repo.Id) + commit.Sha[..8], $"{urls.Api}/repos/{full}/git/commits/{commit.Sha}",
            $"{urls.Web}/{full}/commit/{commit.Sha}",
            new PersonDto(commit.AuthorName, commit.AuthorEmail, commit.AuthorDate),
            new PersonDto(commit.CommitterName, commit.CommitterEmail, commit.CommitterDate),
            commit.Message,
            new ShaDto(commit.Tree, $"{urls.Api}/repos/{full}/git/trees/{commit.Tree}"),
            commit.Parents.Select(p => new ShaDto(p, $"{urls.Api}/repos/{full}/git/commits/{p}")).ToList());
    }

    private static ApiErrorResult TooLarge() => ApiErrors.Result(StatusCodes.Status403Forbidden, "This file is too large to be returned by the contents API (over 1 MB); use the raw URL or git.");
}
