using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>Branches, read from the repository with git; commits are <see cref="CommitApi"/>'s.</summary>
public static class BranchApi
{
    public sealed record BranchDto(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("commit")] ContentsApi.ShaDto Commit,
        [property: JsonPropertyName("protected")] bool Protected);

    public sealed record BranchLinksDto(
        [property: JsonPropertyName("self")] string Self,
        [property: JsonPropertyName("html")] string Html);

    /// <summary>One branch as GET …/branches/{branch} answers it on GitHub: the whole head commit, links, protection.</summary>
    public sealed record BranchDetailDto(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("commit")] RepoCommitDto Commit,
        [property: JsonPropertyName("_links")] BranchLinksDto Links,
        [property: JsonPropertyName("protected")] bool Protected,
        [property: JsonPropertyName("protection_url")] string ProtectionUrl);

    public sealed record RepoCommitDto(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("url")] string Url,
        [property: JsonPropertyName("html_url")] string HtmlUrl,
        [property: JsonPropertyName("commit")] ContentsApi.CommitDto Commit,
        [property: JsonPropertyName("parents")] IReadOnlyList<ContentsApi.ShaDto> Parents);

    public static RouteGroupBuilder MapBranchApi(this RouteGroupBuilder api)
    {
        // Everything here reads the repository's contents.
        var repository = api.MapGroup("/repos/{owner}/{repo}").Requires(new RepositoryRequirement(RepoAction.ReadContents));
        repository.MapGet("/branches", ListAsync);
        repository.MapGet("/branches/{**branch}", GetAsync);
        return api;
    }

    private static async Task<List<(string Name, string Sha)>> BranchesAsync(Repository repo, RepositoryStore store, CancellationToken ct)
    {
        var result = await GitCommand.RunAsync(store.PathOf(repo), ["for-each-ref", "--format=%(refname:short)%00%(objectname)", "refs/heads/"], ct);
        return result.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\0'))
            .Where(parts => parts.Length == 2)
            .Select(parts => (parts[0], parts[1]))
            .OrderBy(b => b.Item1, StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<Results<Ok<List<BranchDto>>, ApiErrorResult>> ListAsync(HttpContext context, CurrentCaller current, RepositoryStore store)
    {
        var found = current.Repository!;
        var (paging, error) = Paging.From(context.Request);
        if (error is not null)
            return error;
        var urls = ApiUrls.Of(context.Request);
        var full = $"{found.Owner!.UserName}/{found.Name}";
        var branches = await BranchesAsync(found, store, context.RequestAborted);
        paging!.WriteLinks(context, branches.Count);
        return TypedResults.Ok(branches.Skip(paging.Skip).Take(paging.PerPage)
            .Select(b => new BranchDto(b.Name, new ContentsApi.ShaDto(b.Sha, $"{urls.Api}/repos/{full}/commits/{b.Sha}"), false)).ToList());
    }

    private static async Task<Results<Ok<BranchDetailDto>, ApiErrorResult>> GetAsync(HttpContext context, string branch, CurrentCaller current, RepositoryStore store)
    {
        var found = current.Repository!;
        // A branch named feature/x may come as feature%2Fx (Octokit) or feature/x (PyGithub).
        branch = CatchAllPath.Decode(context, branch) ?? "";
        var match = (await BranchesAsync(found, store, context.RequestAborted)).FirstOrDefault(b => b.Name == branch);
        if (match.Name is null || await store.CommitAsync(found, match.Sha, context.RequestAborted) is not { } head)
            return ApiErrors.Result(StatusCodes.Status404NotFound, "Branch not found");
        var urls = ApiUrls.Of(context.Request);
        var full = $"{found.Owner!.UserName}/{found.Name}";
        var self = $"{urls.Api}/repos/{full}/branches/{CatchAllPath.Escape(match.Name)}";
        return TypedResults.Ok(new BranchDetailDto(match.Name, ToDto(found, head, urls),
            new BranchLinksDto(self, $"{urls.Web}/{full}/tree/{CatchAllPath.Escape(match.Name)}"), false, self + "/protection"));
    }

    public static RepoCommitDto ToDto(Repository repo, CommitDetails commit, ApiUrls urls)
    {
        var inner = ContentsApi.ToDto(repo, commit, urls);
        var full = $"{repo.Owner!.UserName}/{repo.Name}";
        return new RepoCommitDto(commit.Sha, inner.NodeId, $"{urls.Api}/repos/{full}/commits/{commit.Sha}", inner.HtmlUrl, inner,
            commit.Parents.Select(p => new ContentsApi.ShaDto(p, $"{urls.Api}/repos/{full}/commits/{p}")).ToList());
    }
}
