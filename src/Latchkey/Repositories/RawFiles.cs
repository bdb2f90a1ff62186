using Latchkey.Authorization;
using Latchkey.Hosting;

namespace Latchkey.Repositories;

/// <summary>
/// Raw file contents. Whatever was pushed (HTML, SVG, scripts) is served as text/plain with nosniff
/// and a sandboxing Content-Security-Policy, so it is shown, never run, in this site's origin.
/// </summary>
public static class RawFiles
{
    public const long MaxRawBytes = 32L * 1024 * 1024;

    public static IEndpointRouteBuilder MapRawFiles(this IEndpointRouteBuilder app)
    {
        app.MapGet("/{owner}/{repo}/raw/{ref}/{**path}", async (HttpContext context, string owner, string repo, string @ref, string? path,
            WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs) =>
        {
            var caller = await callers.GetAsync(context);
            var found = await repositories.FindAsync(owner, repo, context.RequestAborted);
            if (found is null)
                return Results.NotFound();
            if (WebRefusal.For(AccessPolicy.Decide(caller, RepoAction.ReadContents, found)) is { } refusal)
                return refusal;
            if (await refs.ResolveAsync(found, context, @ref, path) is not { } at
                || await store.ObjectTypeAsync(found, at.Ref, at.Path, context.RequestAborted) != "blob")
                return Results.NotFound();
            var content = await store.ReadBlobAsync(found, at.Ref, at.Path, MaxRawBytes, context.RequestAborted);
            if (content is null)
                return Results.Text("This file is too large to serve raw.\n", "text/plain", statusCode: StatusCodes.Status413PayloadTooLarge);
            context.Response.Headers.ContentSecurityPolicy = SecurityHeaders.SandboxContentSecurityPolicy;
            return Results.File(content, "text/plain; charset=utf-8");
        }).Anonymous();
        return app;
    }
}
