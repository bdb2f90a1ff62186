using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Lfs;

/// <summary>
/// Which repository holds which LFS object (the database side of <see cref="LfsObjectStore"/>):
/// what a repository may download, what its quota counts, and what deleting it frees.
/// </summary>
public sealed class LfsObjects(LatchkeyDb db, LfsObjectStore store, TimeProvider clock)
{
    public LfsObjectStore Store => store;

    /// <summary>The sizes of those of <paramref name="oids"/> the repository holds (and whose bytes are stored).</summary>
    public async Task<Dictionary<string, long>> HeldAsync(long repositoryId, IReadOnlyCollection<string> oids, CancellationToken ct)
    {
        var rows = await db.LfsObjects.AsNoTracking().Where(o => o.RepositoryId == repositoryId && oids.Contains(o.Oid))
            .Select(o => new { o.Oid, o.Size }).ToListAsync(ct);
        return rows.Where(r => store.Exists(r.Oid, r.Size)).ToDictionary(r => r.Oid, r => r.Size, StringComparer.Ordinal);
    }

    public async Task<bool> HoldsAsync(long repositoryId, string oid, CancellationToken ct) =>
        await db.LfsObjects.AsNoTracking().Where(o => o.RepositoryId == repositoryId && o.Oid == oid).Select(o => (long?)o.Size).SingleOrDefaultAsync(ct) is { } size
        && store.Exists(oid, size);

    /// <summary>How many bytes of LFS objects the repository holds, and how many objects.</summary>
    public async Task<(long Bytes, int Objects)> UsageAsync(long repositoryId, CancellationToken ct)
    {
        var usage = await db.LfsObjects.AsNoTracking().Where(o => o.RepositoryId == repositoryId)
            .GroupBy(o => o.RepositoryId).Select(g => new { Bytes = g.Sum(o => o.Size), Count = g.Count() }).SingleOrDefaultAsync(ct);
        return usage is null ? (0, 0) : (usage.Bytes, usage.Count);
    }

    /// <summary>Records that the repository holds a verified object (before its file is moved into place).</summary>
    public async Task RecordAsync(long repositoryId, string oid, long size, CancellationToken ct)
    {
        if (await db.LfsObjects.AnyAsync(o => o.RepositoryId == repositoryId && o.Oid == oid, ct))
            return;
        db.LfsObjects.Add(new LfsObject { RepositoryId = repositoryId, Oid = oid, Size = size, CreatedAt = clock.GetUtcNow().UtcDateTime });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two uploads of the same object to the same repository: the other one recorded it.
            db.ChangeTracker.Clear();
            if (!await db.LfsObjects.AnyAsync(o => o.RepositoryId == repositoryId && o.Oid == oid, ct))
                throw;
        }
    }

    /// <summary>The objects a repository holds (read before it is deleted, to free them after).</summary>
    public Task<List<string>> OidsOfAsync(long repositoryId, CancellationToken ct) =>
        db.LfsObjects.AsNoTracking().Where(o => o.RepositoryId == repositoryId).Select(o => o.Oid).ToListAsync(ct);

    /// <summary>Removes the files of those of <paramref name="oids"/> that no repository holds any more; returns how many.</summary>
    public async Task<int> FreeUnheldAsync(IEnumerable<string> oids, CancellationToken ct)
    {
        var freed = 0;
        foreach (var oid in oids.Distinct(StringComparer.Ordinal))
        {
            if (await IsHeldAsync(oid, ct))
                continue;
            if (await store.RemoveUnlessHeldAsync(oid, () => IsHeldAsync(oid, ct)))
                freed++;
        }
        return freed;
    }

    private Task<bool> IsHeldAsync(string oid, CancellationToken ct) => db.LfsObjects.AnyAsync(o => o.Oid == oid, ct);
}
