using System.Globalization;

namespace Latchkey.Repositories;

/// <param name="Field">The request field an error is about, when it is about one (GitHub's validation error shape).</param>
public sealed record FileChangeResult(string? CommitSha, string? BlobSha, string? Error, int Status = 200, string? Field = null);

public sealed record CommitIdentity(string Name, string Email)
{
    /// <summary>A user as the API's commits name them: the account's email stays private behind a no-reply address, as on GitHub.</summary>
    public static CommitIdentity Of(Accounts.User user) => new(user.UserName!, $"{user.Id}+{user.UserName}@users.noreply.latchkey");
}

/// <summary>
/// Commits made on the server (the contents API): a file written or removed on a branch as a real
/// commit, through a private index, and the branch moved only if nobody moved it meanwhile.
/// </summary>
public sealed class RepositoryWriter(RepositoryStore store, TimeProvider clock)
{
    public async Task<FileChangeResult> WriteFileAsync(Repository repo, string branch, string path, byte[]? content, string message,
        string? expectedBlobSha, CommitIdentity who, CancellationToken ct)
    {
        if (!GitRefNames.IsValidBranchName(branch) || !RepositoryStore.IsSafePath(path) || path.Length == 0 || path.EndsWith('/'))
            return new FileChangeResult(null, null, "The path or branch is not valid.", 422);
        var repoPath = store.PathOf(repo);
        var head = await GitCommand.RunAsync(repoPath, ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}^{{commit}}"], ct);
        var parent = head.Succeeded ? head.Text.Trim() : null;
        if (parent is null && await store.DefaultBranchAsync(repo, ct) is not null && branch != await store.DefaultBranchAsync(repo, ct))
            return new FileChangeResult(null, null, $"Branch {branch} not found", 404);

        var existing = parent is null ? null : await GitCommand.RunAsync(repoPath, ["rev-parse", "--verify", "--quiet", $"{parent}:{path}"], ct);
        var existingSha = existing is { Succeeded: true } ? existing.Text.Trim() : null;
        if (content is null && existingSha is null)
            return new FileChangeResult(null, null, "Not Found", 404);
        if (existingSha is not null && expectedBlobSha is null)
            return new FileChangeResult(null, null, "\"sha\" wasn't supplied.", 422, "sha");
        if (existingSha is not null && !string.Equals(existingSha, expectedBlobSha, StringComparison.OrdinalIgnoreCase))
            return new FileChangeResult(null, null, $"{path} does not match {expectedBlobSha}", 409);

        // New objects wait in a quarantine until git's fsck has passed them, as a push's do; the private
        // index (it lists file names) lives there too, so one folder holds all a write leaves behind.
        using var quarantine = new ObjectQuarantine(repoPath);
        var index = Path.Combine(quarantine.Folder, "index");
        var env = new Dictionary<string, string>
        {
            ["GIT_INDEX_FILE"] = index,
            ["GIT_AUTHOR_NAME"] = who.Name,
            ["GIT_AUTHOR_EMAIL"] = who.Email,
            ["GIT_COMMITTER_NAME"] = who.Name,
            ["GIT_COMMITTER_EMAIL"] = who.Email,
            ["GIT_AUTHOR_DATE"] = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + " +0000",
            ["GIT_COMMITTER_DATE"] = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + " +0000",
        };
        quarantine.Apply(env);
        if (parent is not null)
            await RepositoryStore.Run(repoPath, ["read-tree", parent], ct, env: env);
        string? blob = null;
        if (content is not null)
        {
            blob = (await RepositoryStore.Run(repoPath, ["hash-object", "-w", "--stdin"], ct, content, env)).Trim();
            await RepositoryStore.Run(repoPath, ["update-index", "--add", "--cacheinfo", $"100644,{blob},{path}"], ct, env: env);
        }
        else
        {
            // Mode 0 removes the entry; unlike --force-remove it needs no work tree.
            await RepositoryStore.Run(repoPath, ["update-index", "--index-info"], ct, System.Text.Encoding.UTF8.GetBytes($"0 {new string('0', 40)}\t{path}\n"), env);
        }
        var tree = (await RepositoryStore.Run(repoPath, ["write-tree"], ct, env: env)).Trim();
        List<string> commitArgs = ["commit-tree", tree, "-m", message];
        if (parent is not null)
            commitArgs.AddRange(["-p", parent]);
        var commit = (await RepositoryStore.Run(repoPath, [.. commitArgs], ct, env: env)).Trim();
        if (await quarantine.AdmitAsync(ct) is { } refused)
            return new FileChangeResult(null, null, "The change was refused by git's checks:\n" + refused, 422);
        // Compare-and-swap: the branch moves only from the commit we built on.
        List<string> update = ["update-ref", $"refs/heads/{branch}", commit];
        update.Add(parent ?? new string('0', 40));
        var moved = await GitCommand.RunAsync(repoPath, update, ct);
        if (!moved.Succeeded)
            return new FileChangeResult(null, null, $"The branch {branch} moved while this change was made; try again.", 409);
        await store.RepairHeadAsync(repo, ct);
        return new FileChangeResult(commit, blob, null, existingSha is null ? 201 : 200);
    }
}
