using Latchkey.Authorization;
using Latchkey.Hosting;

namespace Latchkey.Repositories;

/// <summary>
/// Raw file contents. Whatever was pushed (HTML, SVG, scripts) is served as text/plain with nosniff
/// and a sandboxing Content-Security-Policy, so it is shown, never run, in this site's origin. A Git
/// LFS pointer is served as the file it stands for.
/// </summary>
public static class RawFiles
{
    public const long MaxRawBytes = 32L * 1024 * 1024;

    public static IEndpointRouteBuilder MapRawFiles(this IEndpointRouteBuilder app)
    {
        app.MapGet("/{owner}/{repo}/raw/{ref}/{**path}", async (HttpContext context, string owner, string repo, string @ref, string? path,
            WebCaller callers, RepositoryService repositories, RepositoryStore store, RepositoryRefs refs, Lfs.LfsObjects lfs) =>
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
            // A Git LFS pointer stands for the real file: its bytes when this repository holds them
            // (an image as an image, anything else to download), streamed from the object store.
            if (Lfs.LfsPointer.TryParse(content) is { } pointer && await lfs.HoldsAsync(found.Id, pointer.Oid, context.RequestAborted))
            {
                var image = Lfs.LfsPointer.ImageType(at.Path);
                await Lfs.LfsHttp.ServeAsync(context, lfs.Store, pointer.Oid, image ?? "application/octet-stream", image is null ? Path.GetFileName(at.Path) : null);
                return Results.Empty;
            }
            return Results.File(content, "text/plain; charset=utf-8");
        }).Anonymous();
        return app;
    }
}
