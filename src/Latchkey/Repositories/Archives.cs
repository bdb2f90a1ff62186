using System.Diagnostics;
using Latchkey.Authorization;
using Latchkey.Git;
using Latchkey.Hosting;
using Latchkey.Tokens;

namespace Latchkey.Repositories;

public enum ArchiveFormat
{
    Zip,
    TarGz,
}

/// <summary>
/// Repository archives as GitHub serves them: the web's download links (<c>/archive/{ref}.zip</c> and
/// <c>.tar.gz</c>, also <c>/archive/refs/heads/…</c> and <c>/archive/refs/tags/…</c>) and the
/// codeload-style links that the API's tarball and zipball redirect to (<c>legacy.tar.gz</c>,
/// <c>legacy.zip</c>). Both take the session cookie, or a token in the Authorization header read as
/// the git door reads it, so that <c>curl -L -H "Authorization: Bearer …"</c> works on both hops.
/// The ref is resolved to a commit first and <c>git archive</c> of that commit streams to the response.
/// </summary>
public static class Archives
{
    public static IEndpointRouteBuilder MapArchives(this IEndpointRouteBuilder app)
    {
        var read = new RepositoryRequirement(RepoAction.ReadContents);
        app.MapGet("/{owner}/{repo}/archive/{**ref}", (HttpContext context, string owner, string repo, string? @ref) =>
            ServeAsync(context, owner, repo, @ref, legacy: null)).Requires(read);
        foreach (var format in Enum.GetValues<ArchiveFormat>())
        {
            app.MapGet($"/{{owner}}/{{repo}}/{LegacySegment(format)}/{{**ref}}", (HttpContext context, string owner, string repo, string? @ref) =>
                ServeAsync(context, owner, repo, @ref, format)).Requires(read);
        }
        return app;
    }

    /// <summary>Where the API's tarball/zipball redirect leads: this server's legacy link for the resolved ref (never with a credential in it).</summary>
    public static string LegacyUrl(string web, Repository repo, ResolvedRef resolved, ArchiveFormat format) =>
        $"{web}/{Uri.EscapeDataString(repo.Owner!.UserName!)}/{Uri.EscapeDataString(repo.Name)}/{LegacySegment(format)}/{CatchAllPath.Escape(resolved.FullName)}";

    private static string LegacySegment(ArchiveFormat format) => format == ArchiveFormat.Zip ? "legacy.zip" : "legacy.tar.gz";

    private static string Extension(ArchiveFormat format) => format == ArchiveFormat.Zip ? ".zip" : ".tar.gz";

    /// <summary>
    /// GitHub's name for the file and its top folder: from the web, the repository and the ref
    /// (a tag's leading "v" before a digit dropped, "/" as "-"): hello-main, hello-1.0, hello-feature-x;
    /// from the API, owner, repository and the commit's first seven digits: octo-hello-1a2b3c4.
    /// </summary>
    private static string NameOf(Repository repo, ResolvedRef resolved, bool legacy)
    {
        if (legacy)
            return $"{repo.Owner!.UserName}-{repo.Name}-{resolved.Commit[..7]}";
        var name = resolved.Kind == RefKind.Tag && resolved.Name is ['v', >= '0' and <= '9', ..] ? resolved.Name[1..] : resolved.Name;
        return $"{repo.Name}-{name.Replace('/', '-')}";
    }

    private static async Task ServeAsync(HttpContext context, string owner, string repoName, string? routeRef, ArchiveFormat? legacy)
    {
        var repo = await AuthorizeAsync(context, owner, repoName);
        if (repo is null)
            return;
        var gitRef = CatchAllPath.Decode(context, routeRef) ?? "";
        var format = legacy ?? Enum.GetValues<ArchiveFormat>().Cast<ArchiveFormat?>().FirstOrDefault(f => gitRef.EndsWith(Extension(f!.Value), StringComparison.Ordinal));
        if (legacy is null && format is { } named)
            gitRef = gitRef[..^Extension(named).Length];
        var store = context.RequestServices.GetRequiredService<RepositoryStore>();
        if (format is not { } chosen || await store.ResolveAsync(repo, gitRef, context.RequestAborted) is not { } resolved)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await StreamAsync(context, repo, store.PathOf(repo), resolved.Commit, NameOf(repo, resolved, legacy is not null), chosen);
    }

    /// <summary>
    /// The caller, from a token in the Authorization header when there is one (a bad, revoked or
    /// expired token, or a password, is refused as git refuses it), else from the session cookie;
    /// then the declared requirement, decided through <see cref="Authorizer"/>. The web door's
    /// answers: 404 for whatever the caller may not see (never a redirect to sign in), 403 for a
    /// token that sees the repository but lacks the permission.
    /// </summary>
    private static async Task<Repository?> AuthorizeAsync(HttpContext context, string owner, string name)
    {
        var services = context.RequestServices;
        if (context.Request.Headers.Authorization.Count > 0)
        {
            var current = await TokenAuthenticationHandler.AuthenticateAsync(context);
            if (await GitAccess.RefuseCredentialAsync(context, current.Credential!))
                return null;
        }
        else
        {
            await services.GetRequiredService<WebCaller>().GetAsync(context);
        }
        var repo = await services.GetRequiredService<RepositoryService>().FindAsync(owner, name, context.RequestAborted);
        var decision = await services.GetRequiredService<Authorizer>().DecideAsync(Authorizer.DeclaredBy(context.GetEndpoint())!, repo);
        if (decision.IsAllowed)
            return repo;
        context.Response.StatusCode = decision.Kind == DecisionKind.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status404NotFound;
        return null;
    }

    /// <summary>
    /// <c>git archive</c> of <paramref name="commit"/> piped to the response as it comes, so memory
    /// stays flat whatever the repository's size; git is killed when the client goes away.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, Repository repo, string repoPath, string commit, string name, ArchiveFormat format)
    {
        // With "Include Git LFS objects in archives" (and objects to include), git's tar is rewritten on the way.
        var lfs = context.RequestServices.GetRequiredService<Lfs.LfsObjects>();
        var held = repo.IncludeLfsInArchives ? (await lfs.OidsOfAsync(repo.Id, context.RequestAborted)).ToHashSet(StringComparer.Ordinal) : null;
        if (held is { Count: 0 })
            held = null;
        var gitFormat = held is not null ? "--format=tar" : format == ArchiveFormat.Zip ? "--format=zip" : "--format=tar.gz";
        var info = GitCommand.StartInfo(repoPath, ["archive", gitFormat, $"--prefix={name}/", commit]);
        ServerLifeline.Attach(info);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("git could not be started.");
        try
        {
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync(context.RequestAborted);
            var response = context.Response;
            response.ContentType = format == ArchiveFormat.Zip ? "application/zip" : "application/x-gzip";
            response.Headers.ContentDisposition = $"attachment; filename={name}{Extension(format)}";
            response.Headers.CacheControl = "private";
            response.Headers.Vary = "Authorization, Cookie";
            if (held is not null)
                await Lfs.LfsArchives.WriteAsync(process.StandardOutput.BaseStream, response.Body, format == ArchiveFormat.Zip, held, lfs.Store, context.RequestAborted);
            else
                await process.StandardOutput.BaseStream.CopyToAsync(response.Body, context.RequestAborted);
            await process.WaitForExitAsync(context.RequestAborted);
            if (process.ExitCode != 0)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Archives))
                    .LogWarning("git archive exited with {Code}: {Error}", process.ExitCode, TokenFormat.Redact((await stderr).Trim()));
                // A cut connection, not a short archive that looks whole.
                context.Abort();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away; git is stopped below.
        }
        catch (InvalidDataException e)
        {
            // git's tar could not be read (it died midway): a cut connection, not an archive that looks whole.
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Archives)).LogWarning(e, "An archive with Git LFS objects could not be written");
            context.Abort();
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }
}
