using Latchkey.Accounts;
using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Repositories;

public sealed record CreateRepositoryResult(Repository? Repository, string? Error, bool NameTaken = false);

/// <summary>Repository records and their bare repositories, kept in step.</summary>
public sealed class RepositoryService(LatchkeyDb db, RepositoryStore store, TimeProvider clock, Lfs.LfsObjects lfs)
{
    public async Task<Repository?> FindAsync(string ownerName, string repoName, CancellationToken ct)
    {
        var owner = Accounts.UsernameRules.Normalize(ownerName);
        var name = Repository.Normalize(RepositoryNames.StripGitSuffix(repoName));
        return await db.Repositories.Include(r => r.Owner).Include(r => r.Collaborators)
            .SingleOrDefaultAsync(r => r.Owner!.NormalizedUserName == owner && r.NormalizedName == name, ct);
    }

    public Task<List<Repository>> ListForOwnerAsync(long ownerId, bool includePrivate, CancellationToken ct) =>
        db.Repositories.AsNoTracking().Include(r => r.Owner).Include(r => r.Collaborators)
            .Where(r => r.OwnerId == ownerId && (includePrivate || !r.IsPrivate))
            .OrderBy(r => r.NormalizedName)
            .ToListAsync(ct);

    /// <summary>Repositories the user owns or collaborates on.</summary>
    public Task<List<Repository>> ListForMemberAsync(long userId, CancellationToken ct) =>
        db.Repositories.AsNoTracking().Include(r => r.Owner).Include(r => r.Collaborators)
            .Where(r => r.OwnerId == userId || r.Collaborators.Any(c => c.UserId == userId))
            .OrderBy(r => r.NormalizedName)
            .ToListAsync(ct);

    public async Task<CreateRepositoryResult> CreateAsync(User owner, string name, string? description, bool isPrivate, bool addReadme, CancellationToken ct)
    {
        name = name.Trim();
        if (RepositoryNames.Validate(name) is { } invalid)
            return new CreateRepositoryResult(null, invalid);
        description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        if (description?.Length > RepositoryNames.MaxDescriptionLength)
            return new CreateRepositoryResult(null, $"Description is too long (maximum is {RepositoryNames.MaxDescriptionLength} characters).");

        var normalized = Repository.Normalize(name);
        if (await db.Repositories.AnyAsync(r => r.OwnerId == owner.Id && r.NormalizedName == normalized, ct))
            return new CreateRepositoryResult(null, $"The repository {name} already exists on this account.", NameTaken: true);

        var repo = new Repository
        {
            OwnerId = owner.Id,
            Name = name,
            NormalizedName = normalized,
            Description = description,
            IsPrivate = isPrivate,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Repositories.Add(repo);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A concurrent create of the same name won the unique index.
            db.Entry(repo).State = EntityState.Detached;
            return new CreateRepositoryResult(null, $"The repository {name} already exists on this account.", NameTaken: true);
        }

        try
        {
            var readme = addReadme ? $"# {name}\n" + (description is null ? "" : $"\n{description}\n") : null;
            await store.InitAsync(repo, readme, owner.UserName!, owner.Email ?? $"{owner.UserName}@users.noreply.latchkey", ct);
        }
        catch
        {
            db.Repositories.Remove(repo);
            await db.SaveChangesAsync(CancellationToken.None);
            store.Delete(repo);
            throw;
        }
        repo.Owner = owner;
        return new CreateRepositoryResult(repo, null);
    }

    /// <summary>Renames, redescribes or changes visibility; null when done, otherwise why not.</summary>
    public async Task<string?> UpdateAsync(Repository repo, string? name, string? description, bool? isPrivate, CancellationToken ct)
    {
        if (name is not null && name != repo.Name)
        {
            name = name.Trim();
            if (RepositoryNames.Validate(name) is { } invalid)
                return invalid;
            var normalized = Repository.Normalize(name);
            if (normalized != repo.NormalizedName && await db.Repositories.AnyAsync(r => r.OwnerId == repo.OwnerId && r.NormalizedName == normalized, ct))
                return $"The repository {name} already exists on this account.";
            repo.Name = name;
            repo.NormalizedName = normalized;
        }
        if (description is not null)
        {
            if (description.Length > RepositoryNames.MaxDescriptionLength)
                return $"Description is too long (maximum is {RepositoryNames.MaxDescriptionLength} characters).";
            repo.Description = description.Trim().Length == 0 ? null : description.Trim();
        }
        if (isPrivate is { } visibility)
            repo.IsPrivate = visibility;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another request took the name between the check and the save.
            await db.Entry(repo).ReloadAsync(ct);
            return $"The repository {name} already exists on this account.";
        }
        return null;
    }

    /// <summary>Deletes the record (its LFS rows and locks with it), the bare repository, and the LFS objects no other repository holds.</summary>
    public async Task DeleteAsync(Repository repo, CancellationToken ct)
    {
        var held = await lfs.OidsOfAsync(repo.Id, ct);
        await db.Repositories.Where(r => r.Id == repo.Id).ExecuteDeleteAsync(ct);
        store.Delete(repo);
        await lfs.FreeUnheldAsync(held, CancellationToken.None);
    }

    public async Task SetIncludeLfsInArchivesAsync(Repository repo, bool include, CancellationToken ct)
    {
        await db.Repositories.Where(r => r.Id == repo.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.IncludeLfsInArchives, include), ct);
        repo.IncludeLfsInArchives = include;
    }

    public async Task RecordPushAsync(Repository repo, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Repositories.Where(r => r.Id == repo.Id).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.PushedAt, now)
            .SetProperty(r => r.PushesSinceMaintenance, r => r.PushesSinceMaintenance + 1), ct);
        await store.RepairHeadAsync(repo, ct);
    }
}
