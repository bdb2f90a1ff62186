using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Repositories.History;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>Commits (a list, optionally of one path; one with its files and stats) and comparisons, as GitHub answers them.</summary>
public static class CommitApi
{
    /// <summary>GitHub's compare lists at most 250 commits.</summary>
    public const int MaxCompareCommits = 250;

    public sealed record FileDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("filename")] string Filename,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("additions")] int Additions,
        [property: JsonPropertyName("deletions")] int Deletions,
        [property: JsonPropertyName("changes")] int Changes,
        [property: JsonPropertyName("blob_url")] string BlobUrl,
        [property: JsonPropertyName("raw_url")] string RawUrl,
        [property: JsonPropertyName("contents_url")] string ContentsUrl,
        [property: JsonPropertyName("patch"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Patch,
        [property: JsonPropertyName("previous_filename"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PreviousFilename);

    public sealed record StatsDto(
        [property: JsonPropertyName("total")] int Total,
        [property: JsonPropertyName("additions")] int Additions,
        [property: JsonPropertyName("deletions")] int Deletions);

    public sealed record CommitWithFilesDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("commit")] ContentsApi.CommitDto Commit,
        [property: JsonPropertyName("parents")] IReadOnlyList<ContentsApi.ShaDto> Parents,
        [property: JsonPropertyName("stats")] StatsDto Stats,
        [property: JsonPropertyName("files")] IReadOnlyList<FileDto> Files);

    public sealed record CompareDto(
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("permalink_url")] string PermalinkUrl,
        [property: JsonPropertyName("diff_url")] string DiffUrl,
        [property: JsonPropertyName("patch_url")] string PatchUrl,
        [property: JsonPropertyName("base_commit")] BranchApi.RepoCommitDto BaseCommit,
        [property: JsonPropertyName("merge_base_commit")] BranchApi.RepoCommitDto MergeBaseCommit,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("ahead_by")] int AheadBy,
        [property: JsonPropertyName("behind_by")] int BehindBy,
        [property: JsonPropertyName("total_commits")] int TotalCommits,
        [property: JsonPropertyName("commits")] IReadOnlyList<BranchApi.RepoCommitDto> Commits,
        [property: JsonPropertyName("files")] IReadOnlyList<FileDto> Files);

    public static RouteGroupBuilder MapCommitApi(this RouteGroupBuilder api)
    {
        var repository = api.MapGroup("/repos/{owner}/{repo}").Requires(new RepositoryRequirement(RepoAction.ReadContents));
        repository.MapGet("/commits", ListAsync);
        repository.MapGet("/commits/{**reference}", GetAsync);
        repository.MapGet("/compare/{**basehead}", CompareAsync);
        return api;
    }

    // GitHub's answer when a diff or history outgrows its time (HTTP 422).
    private static ApiErrorResult TooSlow(string field) => ApiErrors.Result(StatusCodes.Status422UnprocessableEntity,
        "Server Error: Sorry, this diff is taking too long to generate.", [new ApiErrors.FieldError("Commit", field, "not_available")]);

    private static async Task<Results<Ok<List<BranchApi.RepoCommitDto>>, ApiErrorResult>> ListAsync(HttpContext context, CurrentCaller current, RepositoryStore store, CommitLog log)
    {
        var found = current.Repository!;
        var (paging, error) = Paging.From(context.Request);
        if (error is not null)
            return error;
        var ct = context.RequestAborted;
        var start = context.Request.Query["sha"].ToString() is { Length: > 0 } requested ? requested : await store.DefaultBranchAsync(found, ct);
        if (start is null)
            return ApiErrors.Result(StatusCodes.Status409Conflict, "Git Repository is empty.");
        var path = context.Request.Query["path"].ToString().Trim('/');
        if (await log.ResolveAsync(found, start, ct) is null || !RepositoryStore.IsSafePath(path))
            return ApiErrors.NotFound();
        try
        {
            var commits = await log.ListAsync(found, start, path, paging!.Skip, paging.PerPage, ct);
            paging.WriteLinks(context, await log.CountAsync(found, start, path, ct));
            var urls = ApiUrls.Of(context.Request);
            return TypedResults.Ok(commits.Select(c => BranchApi.ToDto(found, c, urls)).ToList());
        }
        catch (GitTimeoutException)
        {
            return TooSlow("history");
        }
    }

    private static async Task<Results<Ok<CommitWithFilesDto>, ApiErrorResult>> GetAsync(HttpContext context, string reference, CurrentCaller current, RepositoryStore store, CommitLog log, Diffs diffs)
    {
        var found = current.Repository!;
        var ct = context.RequestAborted;
        reference = CatchAllPath.Decode(context, reference) ?? "";
        if (await log.ResolveAsync(found, reference, ct) is not { } sha || await store.CommitAsync(found, sha, ct) is not { } details)
            return ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, $"No commit found for SHA: {reference}");
        try
        {
            var diff = await diffs.BetweenAsync(found, details.Parents.Count > 0 ? details.Parents[0] : null, sha, _ => true, ct);
            var urls = ApiUrls.Of(context.Request);
            var summary = BranchApi.ToDto(found, details, urls);
            return TypedResults.Ok(new CommitWithFilesDto(summary.Sha, summary.NodeId, summary.Url, summary.HtmlUrl, summary.Commit, summary.Parents,
                new StatsDto(diff.Additions + diff.Deletions, diff.Additions, diff.Deletions), Files(found, diff, sha, urls)));
        }
        catch (GitTimeoutException)
        {
            return TooSlow("diff");
        }
    }

    private static async Task<Results<Ok<CompareDto>, ApiErrorResult>> CompareAsync(HttpContext context, string basehead, CurrentCaller current, RepositoryStore store, CommitLog log, Diffs diffs)
    {
        var found = current.Repository!;
        var ct = context.RequestAborted;
        var range = CatchAllPath.Decode(context, basehead) ?? "";
        var dots = range.IndexOf("...", StringComparison.Ordinal);
        if (dots < 0)
            return ApiErrors.NotFound();
        var (baseName, headName) = (range[..dots], range[(dots + 3)..]);
        if (await log.ResolveAsync(found, baseName, ct) is not { } baseSha || await log.ResolveAsync(found, headName, ct) is not { } headSha)
            return ApiErrors.NotFound();
        try
        {
            if (await log.MergeBaseAsync(found, baseSha, headSha, ct) is not { } mergeBase)
                return ApiErrors.Result(StatusCodes.Status404NotFound, $"No common ancestor between {baseName} and {headName}.");
            var (ahead, behind) = await log.AheadBehindAsync(found, baseSha, headSha, ct);
            var commits = await log.BetweenAsync(found, baseSha, headSha, MaxCompareCommits, ct);
            var diff = await diffs.BetweenAsync(found, mergeBase, headSha, _ => true, ct);
            var urls = ApiUrls.Of(context.Request);
            var full = $"{found.Owner!.UserName}/{found.Name}";
            var owner = found.Owner.UserName;
            var html = $"{urls.Web}/{full}/compare/{CatchAllPath.Escape(baseName)}...{CatchAllPath.Escape(headName)}";
            var status = (ahead, behind) switch
            {
                (0, 0) => "identical",
                (_, 0) => "ahead",
                (0, _) => "behind",
                _ => "diverged",
            };
            return TypedResults.Ok(new CompareDto(
                $"{urls.Api}/repos/{full}/compare/{CatchAllPath.Escape(baseName)}...{CatchAllPath.Escape(headName)}",
                html, $"{urls.Web}/{full}/compare/{owner}:{baseSha[..7]}...{owner}:{headSha[..7]}", html + ".diff", html + ".patch",
                BranchApi.ToDto(found, (await store.CommitAsync(found, baseSha, ct))!, urls),
                BranchApi.ToDto(found, (await store.CommitAsync(found, mergeBase, ct))!, urls),
                status, ahead, behind, ahead, commits.Select(c => BranchApi.ToDto(found, c, urls)).ToList(), Files(found, diff, headSha, urls)));
        }
        catch (GitTimeoutException)
        {
            return TooSlow("diff");
        }
    }

    private static List<FileDto> Files(Repository repo, Diff diff, string sha, ApiUrls urls)
    {
        var full = $"{repo.Owner!.UserName}/{repo.Name}";
        return diff.Files.Select(f =>
        {
            var path = CatchAllPath.Escape(f.Path);
            return new FileDto(f.Status == "removed" ? f.OldBlob : f.NewBlob, f.Path, f.Status, f.Additions, f.Deletions, f.Changes,
                $"{urls.Web}/{full}/blob/{sha}/{path}", $"{urls.Web}/{full}/raw/{sha}/{path}",
                $"{urls.Api}/repos/{full}/contents/{path}?ref={sha}", f.Patch, f.PreviousPath);
        }).ToList();
    }
}
