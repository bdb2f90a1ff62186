using Latchkey.Accounts;
using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Repositories;

public sealed record CreateRepositoryResult(Repository? Repository, string? Error);

/// <summary>Repository records and their bare repositories, kept in step.</summary>
public sealed class RepositoryService(LatchkeyDb db, RepositoryStore store, TimeProvider clock)
{
    public async Task<Repository?> FindAsync(string ownerName, string repoName, CancellationToken ct)
    {
        var owner = Accounts.UsernameRules.Normalize(ownerName);
        var name = Repository.Normalize(RepositoryNames.StripGitSuffix(repoName));
        return await db.Repositories.Include(r => r.Owner)
            .SingleOrDefaultAsync(r => r.Owner!.NormalizedUserName == owner && r.NormalizedName == name, ct);
    }

    public Task<List<Repository>> ListForOwnerAsync(long ownerId, bool includePrivate, CancellationToken ct) =>
        db.Repositories.AsNoTracking().Include(r => r.Owner)
            .Where(r => r.OwnerId == ownerId && (includePrivate || !r.IsPrivate))
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
            return new CreateRepositoryResult(null, $"The repository {name} already exists on this account.");

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
            return new CreateRepositoryResult(null, $"The repository {name} already exists on this account.");
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

    public async Task DeleteAsync(Repository repo, CancellationToken ct)
    {
        await db.Repositories.Where(r => r.Id == repo.Id).ExecuteDeleteAsync(ct);
        store.Delete(repo);
    }

    public async Task RecordPushAsync(Repository repo, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Repositories.Where(r => r.Id == repo.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.PushedAt, now), ct);
        await store.RepairHeadAsync(repo, ct);
    }
}
