using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>
/// GitHub's "Download a repository archive": 302 to where the archive is served (GitHub: codeload's
/// legacy.tar.gz / legacy.zip; here the same path on this server, see <see cref="Archives"/>), for
/// the ref resolved now; without a ref, the default branch. The client follows it with its token.
/// </summary>
public static class ArchiveApi
{
    public static RouteGroupBuilder MapArchiveApi(this RouteGroupBuilder api)
    {
        var repository = api.MapGroup("/repos/{owner}/{repo}").Requires(new RepositoryRequirement(RepoAction.ReadContents));
        repository.MapGet("/tarball/{**ref}", (HttpContext context, string? @ref, CurrentCaller current, RepositoryStore store) =>
            RedirectAsync(context, @ref, ArchiveFormat.TarGz, current, store));
        repository.MapGet("/zipball/{**ref}", (HttpContext context, string? @ref, CurrentCaller current, RepositoryStore store) =>
            RedirectAsync(context, @ref, ArchiveFormat.Zip, current, store));
        return api;
    }

    private static async Task<Results<RedirectHttpResult, ApiErrorResult>> RedirectAsync(HttpContext context, string? @ref, ArchiveFormat format,
        CurrentCaller current, RepositoryStore store)
    {
        var repo = current.Repository!;
        var gitRef = CatchAllPath.Decode(context, @ref)?.Trim('/');
        if (gitRef == "")
            gitRef = await store.DefaultBranchAsync(repo, context.RequestAborted);
        if (gitRef is null || await store.ResolveAsync(repo, gitRef, context.RequestAborted) is not { } resolved)
            return ApiErrors.NotFound();
        return TypedResults.Redirect(Archives.LegacyUrl(ApiUrls.Of(context.Request).Web, repo, resolved, format));
    }
}
