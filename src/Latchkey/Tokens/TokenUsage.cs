using System.Collections.Concurrent;
using Latchkey.Authorization;
using Latchkey.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Tokens;

/// <summary>
/// One thing a token exercised on one day (issue #18's least-privilege advisor): a classic scope a
/// request needed ("scope:public_repo"), a fine-grained permission at a level
/// ("permission:contents:write"), or a repository it reached ("repository:42"). A day's uses of the
/// same thing are one row.
/// </summary>
public sealed class TokenUsageRecord
{
    public long TokenId { get; set; }

    /// <summary>The UTC day, as <see cref="DateOnly.DayNumber"/> (no time zone to get wrong).</summary>
    public int Day { get; set; }

    public string Grant { get; set; } = "";
}

/// <summary>The names of what a token can exercise, as <see cref="TokenUsageRecord.Grant"/> stores them.</summary>
public static class UsageGrant
{
    public static string Scope(string scope) => "scope:" + scope;

    public static string Permission(string key, PermissionLevel level) => $"permission:{key}:{FineGrainedPermissions.LevelName(level)}";

    public static string Repository(long id) => "repository:" + id;
}

/// <summary>Section "Tokens": how the advisor's usage is kept.</summary>
public sealed class TokenUsageOptions
{
    /// <summary>How often each node writes what its tokens exercised (one batch, however many requests).</summary>
    public int UsageFlushSeconds { get; set; } = 60;

    public sealed class Validator : IValidateOptions<TokenUsageOptions>
    {
        public ValidateOptionsResult Validate(string? name, TokenUsageOptions options) =>
            options.UsageFlushSeconds is < 1 or > 86400
                ? ValidateOptionsResult.Fail("Tokens:UsageFlushSeconds must be from 1 to 86400.")
                : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// What tokens exercised, gathered in memory by the one decision point (<see cref="AccessRequirementHandler"/>)
/// and written in batches by <see cref="TokenUsageFlusher"/>: a request adds a key to a set, never a
/// database write. A key already written today is not written again.
/// </summary>
public sealed class TokenUsageRecorder(TimeProvider clock)
{
    public readonly record struct Key(long TokenId, int Day, string Grant);

    private readonly ConcurrentDictionary<Key, byte> _pending = new();
    private readonly ConcurrentDictionary<Key, byte> _written = new();

    public int Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).DayNumber;

    /// <summary>Notes what an allowed request of a token exercised (<see cref="AccessPolicy.Exercised"/>).</summary>
    public void Record(long tokenId, IEnumerable<string> grants)
    {
        var day = Today;
        foreach (var grant in grants)
        {
            var key = new Key(tokenId, day, grant);
            if (!_written.ContainsKey(key))
                _pending.TryAdd(key, 0);
        }
    }

    /// <summary>
    /// A list of repositories the caller was shown (GET /user/repos, GraphQL's repositories): listing a
    /// private one exercised what reading it needs, though no single-repository decision was asked.
    /// </summary>
    public void RecordListed(Caller caller, IEnumerable<Repositories.Repository> listed)
    {
        if (caller.TokenId is not { } tokenId)
            return;
        var read = new RepositoryRequirement(RepoAction.Read);
        Record(tokenId, listed.SelectMany(repo => AccessPolicy.Exercised(caller, read, repo)));
    }

    /// <summary>What this node saw of a token that is not written yet (so its own answers are current).</summary>
    public IEnumerable<string> PendingFor(long tokenId) => _pending.Keys.Where(k => k.TokenId == tokenId).Select(k => k.Grant);

    /// <summary>Takes the keys to write; what fails to be written goes back with <see cref="Return"/>.</summary>
    public List<Key> Take()
    {
        var taken = new List<Key>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out _))
                taken.Add(key);
        }
        return taken;
    }

    public void Written(IEnumerable<Key> keys)
    {
        var today = Today;
        // Yesterday's keys can never come again: forget them, so the set stays a day's worth.
        foreach (var old in _written.Keys.Where(k => k.Day < today))
            _written.TryRemove(old, out _);
        foreach (var key in keys.Where(k => k.Day >= today))
            _written.TryAdd(key, 0);
    }

    public void Return(IEnumerable<Key> keys)
    {
        foreach (var key in keys)
            _pending.TryAdd(key, 0);
    }

    public bool HasPending => !_pending.IsEmpty;
}

/// <summary>
/// Writes the recorder's keys every <see cref="TokenUsageOptions.UsageFlushSeconds"/> and at shutdown,
/// one transaction per batch; a key for a token deleted or revoked meanwhile is dropped. Once a day it
/// forgets days past the advisor's window, and revoked tokens older than <see cref="TokenRules.RevokedKeptDays"/>.
/// </summary>
public sealed class TokenUsageFlusher(IServiceScopeFactory scopes, TokenUsageRecorder recorder, IOptions<TokenUsageOptions> options,
    ILogger<TokenUsageFlusher> logger) : BackgroundService
{
    private int _prunedDay;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.UsageFlushSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The real clock paces the flushes: a test's frozen clock must not stop them.
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await FlushQuietlyAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushQuietlyAsync(cancellationToken);
    }

    private async Task FlushQuietlyAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not write token usage; it is kept for the next flush");
        }
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        var today = recorder.Today;
        if (!recorder.HasPending && _prunedDay == today)
            return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        if (_prunedDay != today)
        {
            var oldest = today - TokenUsageReports.WindowDays;
            await db.TokenUsage.Where(u => u.Day < oldest).ExecuteDeleteAsync(ct);
            // Revoked tokens stay in the inventory as long as the advisor remembers usage, then go.
            var revokedBefore = DateTime.SpecifyKind(DateOnly.FromDayNumber(today - TokenRules.RevokedKeptDays).ToDateTime(TimeOnly.MinValue), DateTimeKind.Utc);
            await db.Tokens.IgnoreQueryFilters().Where(t => t.RevokedAt != null && t.RevokedAt < revokedBefore).ExecuteDeleteAsync(ct);
            _prunedDay = today;
        }
        // A key from a day already past the window (a node that slept) is not worth a row.
        var keys = recorder.Take().Where(k => k.Day >= today - TokenUsageReports.WindowDays).ToList();
        if (keys.Count == 0)
            return;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            foreach (var key in keys)
            {
                // One statement per distinct key (a day's worth of distinct grants, not of requests).
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "TokenUsage" ("TokenId", "Day", "Grant")
                    SELECT {key.TokenId}, {key.Day}, {key.Grant}
                    WHERE EXISTS (SELECT 1 FROM "PersonalAccessTokens" t WHERE t."Id" = {key.TokenId} AND t."RevokedAt" IS NULL)
                    ON CONFLICT DO NOTHING
                    """, ct);
            }
            await transaction.CommitAsync(ct);
        }
        catch
        {
            recorder.Return(keys);
            throw;
        }
        recorder.Written(keys);
    }
}

/// <summary>The advisor's answer about one token: used against granted over <see cref="TokenUsageReports.WindowDays"/> days.</summary>
/// <param name="NarrowedScopes">A classic token's least scopes for what it did (null for fine-grained).</param>
/// <param name="NarrowedRequest">A fine-grained token's least access for what it did (null for classic).</param>
public sealed record TokenUsageReport(
    bool UsedAtAll,
    IReadOnlyList<string> ScopesUsed,
    IReadOnlyList<string> ScopesUnused,
    IReadOnlyDictionary<string, string> PermissionsUsed,
    IReadOnlyDictionary<string, string> PermissionsUnused,
    IReadOnlyList<string> RepositoriesUsed,
    IReadOnlyList<string> RepositoriesUnused,
    IReadOnlyList<string>? NarrowedScopes,
    FineGrainedRequest? NarrowedRequest,
    bool NarrowingChanges)
{
    /// <summary>True when narrowing would take something away (a classic token's repositories cannot be narrowed, only its scopes).</summary>
    public bool CanNarrow => UsedAtAll && NarrowingChanges;
}

/// <summary>
/// Reads what a token exercised (the database's rows and this node's unwritten ones), sets it against
/// what the token holds, and narrows the token to it on its owner's request.
/// </summary>
public sealed class TokenUsageReports(LatchkeyDb db, TokenUsageRecorder recorder, TokenIssuer issuer)
{
    public const int WindowDays = 90;

    public async Task<TokenUsageReport> ForAsync(PersonalAccessToken token, CancellationToken ct)
    {
        var since = recorder.Today - WindowDays;
        var stored = await db.TokenUsage.AsNoTracking().Where(u => u.TokenId == token.Id && u.Day > since).Select(u => u.Grant).Distinct().ToListAsync(ct);
        var used = stored.Concat(recorder.PendingFor(token.Id)).ToHashSet(StringComparer.Ordinal);

        var touchedIds = used.Where(g => g.StartsWith("repository:", StringComparison.Ordinal))
            .Select(g => long.TryParse(g["repository:".Length..], out var id) ? id : 0).Where(id => id > 0).ToHashSet();
        var reachable = await ReachableAsync(token, ct);
        var touched = await db.Repositories.AsNoTracking().Include(r => r.Owner).Where(r => touchedIds.Contains(r.Id)).ToListAsync(ct);
        var repositoriesUsed = touched.Select(Name).Order(StringComparer.OrdinalIgnoreCase).ToList();
        var repositoriesUnused = reachable.Where(r => !touchedIds.Contains(r.Id)).Select(Name).Order(StringComparer.OrdinalIgnoreCase).ToList();

        if (token.Kind == TokenKind.Classic)
        {
            var needed = used.Where(g => g.StartsWith("scope:", StringComparison.Ordinal)).Select(g => g["scope:".Length..]).ToList();
            var granted = token.ScopeList;
            var scopesUsed = granted.Where(g => needed.Any(n => Scopes.Grants([g], n))).ToList();
            var scopesUnused = granted.Except(scopesUsed, StringComparer.Ordinal).ToList();
            // The least scopes that allow what it did: what was needed, each child dropped under a needed parent.
            var narrowed = Scopes.Normalise(needed.Where(n => Scopes.Grants(granted, n)));
            var changes = !Scopes.Normalise(granted).ToHashSet(StringComparer.Ordinal).SetEquals(narrowed);
            return new TokenUsageReport(used.Count > 0, scopesUsed, scopesUnused, new Dictionary<string, string>(), new Dictionary<string, string>(),
                repositoriesUsed, repositoriesUnused, narrowed, null, changes);
        }

        var levels = new Dictionary<string, PermissionLevel>(StringComparer.Ordinal);
        foreach (var grant in used.Where(g => g.StartsWith("permission:", StringComparison.Ordinal)))
        {
            var parts = grant.Split(':');
            if (parts.Length == 3 && FineGrainedPermissions.ParseLevel(parts[2]) is { } level && level > levels.GetValueOrDefault(parts[1]))
                levels[parts[1]] = level;
        }
        var held = token.PermissionSet;
        var permissionsUsed = new Dictionary<string, string>(StringComparer.Ordinal);
        var permissionsUnused = new Dictionary<string, string>(StringComparer.Ordinal);
        var kept = new List<KeyValuePair<string, PermissionLevel>>();
        foreach (var (key, level) in held.Levels)
        {
            var exercised = levels.GetValueOrDefault(key);
            if (exercised > level)
                exercised = level;
            if (exercised > PermissionLevel.None)
            {
                permissionsUsed[key] = FineGrainedPermissions.LevelName(exercised);
                kept.Add(KeyValuePair.Create(key, exercised));
            }
            // Metadata comes with every fine-grained token: never advise it away.
            if (exercised < level && key != FineGrainedPermissions.Metadata)
                permissionsUnused[key] = FineGrainedPermissions.LevelName(level);
        }
        var reachableIds = reachable.Select(r => r.Id).ToHashSet();
        var keptRepositories = touchedIds.Where(reachableIds.Contains).ToList();
        var access = token.RepositoryAccess == RepositoryAccess.PublicOnly || keptRepositories.Count == 0 ? RepositoryAccess.PublicOnly : RepositoryAccess.Selected;
        var request = new FineGrainedRequest(token.Note, token.Description, access, keptRepositories, PermissionSet.From(kept));
        var narrowing = permissionsUnused.Count > 0 || access != token.RepositoryAccess
            || (access == RepositoryAccess.Selected && !token.Repositories.Select(r => r.RepositoryId).ToHashSet().SetEquals(keptRepositories));
        return new TokenUsageReport(used.Count > 0, [], [], permissionsUsed, permissionsUnused, repositoriesUsed, repositoriesUnused, null, request, narrowing);
    }

    /// <summary>
    /// Narrows the token to what it exercised in the window, through the same updates as its edit form
    /// (logged, and every node sees it at once). Null when done, else why not.
    /// </summary>
    public async Task<string?> NarrowAsync(Accounts.User owner, PersonalAccessToken token, CancellationToken ct)
    {
        var report = await ForAsync(token, ct);
        if (!report.UsedAtAll)
            return $"This token was not used in the last {WindowDays} days, so there is nothing to narrow it to. Delete it if nothing needs it.";
        if (!report.CanNarrow)
            return "This token already holds only what it used.";
        return token.Kind == TokenKind.Classic
            ? await issuer.UpdateAsync(owner, token.Id, token.Note, report.NarrowedScopes!, ct)
            : await issuer.UpdateFineGrainedAsync(owner.Id, token.Id, report.NarrowedRequest!, ct);
    }

    /// <summary>
    /// The repositories of the owner's (owned, or shared with them) that the token can reach now: the
    /// ones it could have touched. Public repositories of other people are not counted as unused.
    /// </summary>
    private async Task<List<Repositories.Repository>> ReachableAsync(PersonalAccessToken token, CancellationToken ct)
    {
        var userId = token.UserId;
        var mine = db.Repositories.AsNoTracking().Include(r => r.Owner).Where(r => r.OwnerId == userId || r.Collaborators.Any(c => c.UserId == userId));
        if (token.Kind == TokenKind.FineGrained)
        {
            if (token.RepositoryAccess == RepositoryAccess.Selected)
            {
                var ids = token.Repositories.Select(r => r.RepositoryId).ToList();
                mine = mine.Where(r => ids.Contains(r.Id));
            }
            else if (token.RepositoryAccess == RepositoryAccess.PublicOnly)
                mine = mine.Where(r => !r.IsPrivate);
        }
        else if (!token.ScopeList.Contains(Scopes.Repo))
            mine = mine.Where(r => !r.IsPrivate);
        return await mine.OrderBy(r => r.Id).ToListAsync(ct);
    }

    private static string Name(Repositories.Repository repo) => repo.Owner!.UserName + "/" + repo.Name;
}
