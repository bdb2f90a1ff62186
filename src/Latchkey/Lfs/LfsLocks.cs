using System.Globalization;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Git;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Lfs;

/// <summary>
/// Git LFS file locking (<c>git lfs lock</c>, <c>locks</c>, <c>unlock</c>, and the check git-lfs makes
/// before a push): listing needs read access, locking, verifying and unlocking need write, and
/// unlocking someone else's lock (<c>--force</c>) needs administration of the repository.
/// </summary>
public static class LfsLocks
{
    public const int MaxPathLength = 1024;
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/{owner}/{repo}/info/lfs/locks", ListAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.ReadContents));
        app.MapPost("/{owner}/{repo}/info/lfs/locks", CreateAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.Write));
        app.MapPost("/{owner}/{repo}/info/lfs/locks/verify", VerifyAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.Write));
        app.MapPost("/{owner}/{repo}/info/lfs/locks/{id}/unlock", UnlockAsync).DisableAntiforgery().Requires(new RepositoryRequirement(RepoAction.Write));
    }

    public sealed record LockOwner(string Name);

    public sealed record LockDto(string Id, string Path, string LockedAt, LockOwner Owner);

    public sealed record CreateRequest(string? Path);

    public sealed record VerifyRequest(string? Cursor, int? Limit);

    public sealed record UnlockRequest(bool? Force);

    private static LockDto ToDto(LfsLock l) =>
        new(l.Id.ToString(CultureInfo.InvariantCulture), l.Path, l.LockedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), new LockOwner(l.Owner?.UserName ?? ""));

    private static async Task ListAsync(HttpContext context, string owner, string repo, GitAccess access, LatchkeyDb db)
    {
        var target = await access.AuthorizeAsync(context, owner, repo, RepoAction.ReadContents, LfsHttp.Answer);
        if (target is null)
            return;
        var query = context.Request.Query;
        if (!TryPage(query["cursor"], query["limit"], out var after, out var limit, out var problem))
        {
            await LfsHttp.Answer(context, StatusCodes.Status422UnprocessableEntity, problem!);
            return;
        }
        var locks = db.LfsLocks.AsNoTracking().Include(l => l.Owner).Where(l => l.RepositoryId == target.Id && l.Id > after);
        if (query["path"].ToString() is { Length: > 0 } path)
            locks = locks.Where(l => l.Path == path);
        if (query["id"].ToString() is { Length: > 0 } id)
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var lockId))
            {
                await LfsHttp.WriteAsync(context, StatusCodes.Status200OK, new { locks = Array.Empty<LockDto>() });
                return;
            }
            locks = locks.Where(l => l.Id == lockId);
        }
        var page = await locks.OrderBy(l => l.Id).Take(limit + 1).ToListAsync(context.RequestAborted);
        await LfsHttp.WriteAsync(context, StatusCodes.Status200OK, new
        {
            locks = page.Take(limit).Select(ToDto).ToList(),
            next_cursor = page.Count > limit ? page[limit - 1].Id.ToString(CultureInfo.InvariantCulture) : null,
        });
    }

    private static async Task CreateAsync(HttpContext context, string owner, string repo, GitAccess access, LatchkeyDb db, CurrentCaller current, TimeProvider clock)
    {
        var target = await access.AuthorizeAsync(context, owner, repo, RepoAction.Write, LfsHttp.Answer);
        if (target is null)
            return;
        var (request, problem) = await LfsHttp.ReadJsonAsync<CreateRequest>(context);
        if (request is null)
        {
            await LfsHttp.Answer(context, problem!.Value.Status, problem.Value.Message);
            return;
        }
        if (string.IsNullOrWhiteSpace(request.Path) || request.Path.Length > MaxPathLength || request.Path.Contains('\0'))
        {
            await LfsHttp.Answer(context, StatusCodes.Status422UnprocessableEntity, $"The path to lock must be a file path of at most {MaxPathLength} characters.");
            return;
        }
        var existing = await db.LfsLocks.AsNoTracking().Include(l => l.Owner).SingleOrDefaultAsync(l => l.RepositoryId == target.Id && l.Path == request.Path, context.RequestAborted);
        if (existing is null)
        {
            var created = new LfsLock { RepositoryId = target.Id, Path = request.Path, OwnerId = current.User!.Id, LockedAt = clock.GetUtcNow().UtcDateTime };
            db.LfsLocks.Add(created);
            try
            {
                await db.SaveChangesAsync(context.RequestAborted);
                created.Owner = current.User;
                await LfsHttp.WriteAsync(context, StatusCodes.Status201Created, new { @lock = ToDto(created) });
                return;
            }
            catch (DbUpdateException)
            {
                // Someone locked the same path a moment before.
                db.ChangeTracker.Clear();
                existing = await db.LfsLocks.AsNoTracking().Include(l => l.Owner).SingleAsync(l => l.RepositoryId == target.Id && l.Path == request.Path, context.RequestAborted);
            }
        }
        await LfsHttp.WriteAsync(context, StatusCodes.Status409Conflict, new { @lock = ToDto(existing), message = $"{existing.Path} is already locked by {existing.Owner?.UserName}." });
    }

    private static async Task VerifyAsync(HttpContext context, string owner, string repo, GitAccess access, LatchkeyDb db, CurrentCaller current)
    {
        var target = await access.AuthorizeAsync(context, owner, repo, RepoAction.Write, LfsHttp.Answer);
        if (target is null)
            return;
        var (request, problem) = await LfsHttp.ReadJsonAsync<VerifyRequest>(context);
        if (request is null)
        {
            await LfsHttp.Answer(context, problem!.Value.Status, problem.Value.Message);
            return;
        }
        if (!TryPage(request.Cursor, request.Limit?.ToString(CultureInfo.InvariantCulture), out var after, out var limit, out var invalid))
        {
            await LfsHttp.Answer(context, StatusCodes.Status422UnprocessableEntity, invalid!);
            return;
        }
        var page = await db.LfsLocks.AsNoTracking().Include(l => l.Owner).Where(l => l.RepositoryId == target.Id && l.Id > after)
            .OrderBy(l => l.Id).Take(limit + 1).ToListAsync(context.RequestAborted);
        var me = current.User!.Id;
        var shown = page.Take(limit).ToList();
        await LfsHttp.WriteAsync(context, StatusCodes.Status200OK, new
        {
            ours = shown.Where(l => l.OwnerId == me).Select(ToDto).ToList(),
            theirs = shown.Where(l => l.OwnerId != me).Select(ToDto).ToList(),
            next_cursor = page.Count > limit ? page[limit - 1].Id.ToString(CultureInfo.InvariantCulture) : null,
        });
    }

    private static async Task UnlockAsync(HttpContext context, string owner, string repo, string id, GitAccess access, LatchkeyDb db, CurrentCaller current,
        Authorizer authorizer)
    {
        var target = await access.AuthorizeAsync(context, owner, repo, RepoAction.Write, LfsHttp.Answer);
        if (target is null)
            return;
        var (request, problem) = await LfsHttp.ReadJsonAsync<UnlockRequest>(context);
        if (request is null)
        {
            await LfsHttp.Answer(context, problem!.Value.Status, problem.Value.Message);
            return;
        }
        var found = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var lockId)
            ? await db.LfsLocks.Include(l => l.Owner).SingleOrDefaultAsync(l => l.RepositoryId == target.Id && l.Id == lockId, context.RequestAborted)
            : null;
        if (found is null)
        {
            await LfsHttp.Answer(context, StatusCodes.Status404NotFound, "There is no such lock in this repository.");
            return;
        }
        if (found.OwnerId != current.User!.Id)
        {
            if (request.Force != true)
            {
                await LfsHttp.Answer(context, StatusCodes.Status403Forbidden,
                    $"{found.Path} is locked by {found.Owner?.UserName}; only they can unlock it, or an administrator of the repository with --force.");
                return;
            }
            // Breaking someone else's lock is administration of the repository.
            var decision = await authorizer.DecideAsync(new RepositoryRequirement(RepoAction.Admin), target);
            if (!decision.IsAllowed)
            {
                await LfsHttp.Answer(context, StatusCodes.Status403Forbidden,
                    $"Only an administrator of {target.Owner!.UserName}/{target.Name} can unlock a file someone else locked." +
                    (decision.MissingScope is { } scope ? $" The token needs the {scope} scope." : decision.MissingPermission is { } permission ? $" The token needs {permission}." : ""));
                return;
            }
        }
        db.LfsLocks.Remove(found);
        await db.SaveChangesAsync(context.RequestAborted);
        await LfsHttp.WriteAsync(context, StatusCodes.Status200OK, new { @lock = ToDto(found) });
    }

    private static bool TryPage(string? cursor, string? limitText, out long after, out int limit, out string? problem)
    {
        after = 0;
        limit = DefaultLimit;
        problem = null;
        if (!string.IsNullOrEmpty(cursor) && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            problem = "The cursor is not one this server gave.";
            return false;
        }
        if (!string.IsNullOrEmpty(limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1))
        {
            problem = "The limit must be a whole number of locks, at least 1.";
            return false;
        }
        limit = Math.Min(limit, MaxLimit);
        return true;
    }
}
