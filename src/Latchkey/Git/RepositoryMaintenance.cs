using System.Diagnostics;
using Latchkey.Data;
using Latchkey.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Git;

/// <summary>
/// Keeps pushed repositories in shape, off the request path: a push is stored as it came (loose
/// objects or one pack per push, no bitmap), which makes every later clone cost more. Once a
/// repository has had <see cref="GitOptions.MaintenanceAfterPushes"/> pushes and then
/// <see cref="GitOptions.MaintenanceIdleSeconds"/> without one, this runs what <c>git maintenance</c>
/// would (git 2.39 has no geometric task, so the commands themselves):
/// <list type="number">
/// <item><c>pack-refs --all</c>;</item>
/// <item><c>repack -d --geometric=2 --write-midx --write-bitmap-index</c>: loose objects and small
/// packs are rolled into larger ones so pack sizes form a geometric progression (each repack moves
/// little), a multi-pack index covers them, with its reachability bitmap. Every object of the packs
/// rolled up is kept, reachable or not, and loose objects are removed only once packed, so nothing a
/// concurrent push has written (its pack moves in whole, after its hook) or an upload-pack is reading
/// (git reopens the packs when one it knew is gone) is lost. Nothing is pruned: no <c>gc</c>;</item>
/// <item><c>commit-graph write --reachable --split</c>.</item>
/// </list>
/// One repository at a time on each node. Nodes sharing the data directory take a lease in the
/// database first (<see cref="Repository.MaintenanceHolder"/>, <see cref="Repository.MaintenanceLeaseUntil"/>:
/// one conditional UPDATE, the same on SQLite and PostgreSQL), renewed every <see cref="RenewEvery"/>
/// while git runs. Git never outlives the lease: when a renewal has not succeeded by
/// <see cref="Margin"/> before the lease ends, git is killed; and when the server dies (kill -9), the
/// watchdog that starts git (<see cref="Watchdog"/>, in a session of its own through
/// <see cref="ServerLifeline"/>) sees its stdin, a pipe only the server holds, close and ends git's
/// whole process group at once, long before another node may take the lease.
/// </summary>
public sealed class RepositoryMaintenance(IServiceScopeFactory scopes, RepositoryStore store, IOptions<GitOptions> options, DatabaseOptions database, TimeProvider clock, ILogger<RepositoryMaintenance> logger)
    : BackgroundService
{
    public const int MaxHolderLength = 128;

    /// <summary>How often this node looks for a repository that is due.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>How long a lease holds without renewal.</summary>
    public static readonly TimeSpan LeaseTerm = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan RenewEvery = TimeSpan.FromMinutes(1);

    /// <summary>git is stopped this long before the lease would end unrenewed: room for a slow database answer and for clocks that disagree between nodes.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    /// <summary>After maintenance failed, the repository is left alone this long (no retry every few seconds).</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromHours(1);

    /// <summary>
    /// Runs the git command it is given ("$@") and ends its whole process group when its stdin closes:
    /// the server keeps the write end of that pipe and never writes, so end of file means the server
    /// is gone. Only in a session of its own (setsid), where the group is git's and nothing else's.
    /// The watchdog uses the shell's own <c>read</c>, and holds none of git's output pipes, so killing
    /// it when git ends leaves nothing behind.
    /// </summary>
    public const string Watchdog = """
        "$@" </dev/null &
        git=$!
        watchdog=""
        if [ "$LATCHKEY_OWN_SESSION" = 1 ]; then
          { trap '' TERM; while read -r _; do :; done; kill -TERM 0; } <&0 >/dev/null 2>&1 &
          watchdog=$!
        fi
        wait "$git"
        status=$?
        [ -n "$watchdog" ] && kill -KILL "$watchdog" 2>/dev/null
        exit "$status"
        """;

    private static readonly string[][] Steps =
    [
        ["pack-refs", "--all"],
        ["repack", "-d", "-q", "--geometric=2", "--write-midx", "--write-bitmap-index"],
        ["commit-graph", "write", "--reachable", "--split", "--no-progress"],
    ];

    public enum Outcome
    {
        Maintained,

        /// <summary>Another node (or this one) holds the lease, or the repository is waiting after a failure.</summary>
        Busy,
        Failed,
        Missing,
    }

    /// <summary>This server process, as the lease names it.</summary>
    public string Holder { get; } = NameThisProcess();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Maintenance)
        {
            logger.LogInformation("Repository maintenance is off (Git:Maintenance=false): repositories stay as pushed");
            return;
        }
        logger.LogInformation("Repository maintenance: after {Pushes} push(es) and {Idle} s without one, one repository at a time ({Holder})",
            settings.MaintenanceAfterPushes, settings.MaintenanceIdleSeconds, Holder);
        // The real clock paces the ticks (what is due is read on the server's clock): a test that moves
        // its clock a month ahead must not make half a million ticks.
        using var timer = new PeriodicTimer(Period, TimeProvider.System);
        try
        {
            try
            {
                if (database.Provider == DatabaseProvider.Sqlite)
                    await ReleaseLeasesOfDeadProcessesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Repository maintenance could not look for leases a crash left: {Error}", e.Message);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // While repositories are due, one after another; then wait for the next tick.
                    while (await MaintainNextAsync(stoppingToken))
                    {
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database may be away for a moment; the next tick tries again.
                    logger.LogWarning("Repository maintenance could not look for due repositories: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// With SQLite (one server per data directory), frees the leases that an earlier server process
    /// held when it died (kill -9, power): its git died with it (the watchdog), so the repository need
    /// not wait out the lease. A lease names its host and process id; one of this host whose process is
    /// gone, or is this process (a new instance under a reused id: this one has taken no lease yet), is
    /// stale; a live one is `latchkey admin maintain`'s. With PostgreSQL leases always run out by
    /// themselves: nodes in containers may share a host name and process id 1, so a lease that looks
    /// like this host's may be another node's, running.
    /// </summary>
    private async Task ReleaseLeasesOfDeadProcessesAsync(CancellationToken ct)
    {
        if (!Directory.Exists("/proc/self"))
            return;
        var prefix = Environment.MachineName + "/";
        var held = await WithDbAsync(db => db.Repositories.AsNoTracking()
            .Where(r => r.MaintenanceHolder != null && r.MaintenanceHolder.StartsWith(prefix))
            .Select(r => new { r.Id, Holder = r.MaintenanceHolder! })
            .ToListAsync(ct));
        foreach (var lease in held)
        {
            var parts = lease.Holder.Split('/');
            if (parts.Length != 3 || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var pid))
                continue;
            if (pid != Environment.ProcessId && Directory.Exists($"/proc/{pid}"))
                continue;
            var released = await WithDbAsync(db => db.Repositories.Where(r => r.Id == lease.Id && r.MaintenanceHolder == lease.Holder)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.MaintenanceHolder, (string?)null).SetProperty(r => r.MaintenanceLeaseUntil, (DateTime?)null), ct));
            if (released == 1)
                logger.LogInformation("Repository maintenance: released the lease on {RepositoryId} of {Holder}, a process of this host that is gone", lease.Id, lease.Holder);
        }
    }

    /// <summary>Maintains the repository that has waited longest among those due, if any; false when none was maintained.</summary>
    public async Task<bool> MaintainNextAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var idleSince = now - TimeSpan.FromSeconds(settings.MaintenanceIdleSeconds);
        var due = await WithDbAsync(db => db.Repositories.AsNoTracking()
            .Where(r => r.PushesSinceMaintenance >= settings.MaintenanceAfterPushes && r.PushedAt <= idleSince
                && (r.MaintenanceLeaseUntil == null || r.MaintenanceLeaseUntil < now))
            .OrderBy(r => r.PushedAt)
            .Select(r => (long?)r.Id)
            .FirstOrDefaultAsync(ct));
        return due is { } id && await MaintainAsync(id, ct) == Outcome.Maintained;
    }

    /// <summary>Maintains one repository now, whatever its push count, unless someone holds its lease.</summary>
    public async Task<Outcome> MaintainAsync(long repositoryId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + LeaseTerm;
        var taken = await WithDbAsync(db => db.Repositories
            .Where(r => r.Id == repositoryId && (r.MaintenanceLeaseUntil == null || r.MaintenanceLeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.MaintenanceHolder, Holder).SetProperty(r => r.MaintenanceLeaseUntil, until), ct));
        var repo = await WithDbAsync(db => db.Repositories.AsNoTracking().SingleOrDefaultAsync(r => r.Id == repositoryId, ct));
        if (repo is null)
            return Outcome.Missing;
        if (taken != 1)
        {
            logger.LogDebug("Repository {RepositoryId} is not maintained now: the lease is held by {Holder} until {Until:O}", repositoryId, repo.MaintenanceHolder ?? "nobody (waiting after a failure)", repo.MaintenanceLeaseUntil);
            return Outcome.Busy;
        }

        // Pushes recorded from here on count towards the next run (their objects may land after the repack read the packs).
        var pushes = repo.PushesSinceMaintenance;
        var path = store.PathOf(repo);
        logger.LogInformation("Repository maintenance of {RepositoryId} started ({Holder}, {Pushes} push(es) since the last)", repositoryId, Holder, pushes);
        var started = Stopwatch.GetTimestamp();
        using var leaseEnds = new CancellationTokenSource(LeaseTerm - Margin, clock);
        using var work = CancellationTokenSource.CreateLinkedTokenSource(ct, leaseEnds.Token);
        var renewing = RenewAsync(repositoryId, leaseEnds, work.Token);
        string? failure = null;
        try
        {
            foreach (var step in Steps)
            {
                var result = await RunAsync(path, step, work.Token);
                if (!result.Succeeded)
                {
                    failure = $"git {step[0]} exited with {result.ExitCode}: {result.Error.Trim()}";
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            failure = "the lease could not be renewed in time, so git was stopped";
        }
        catch (OperationCanceledException)
        {
            failure = "the server is stopping";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            failure = "git could not be run: " + e.Message;
        }
        finally
        {
            await work.CancelAsync();
            await renewing;
        }

        var finished = clock.GetUtcNow().UtcDateTime;
        if (failure is null)
        {
            await WithDbAsync(db => db.Repositories.Where(r => r.Id == repositoryId && r.MaintenanceHolder == Holder)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.PushesSinceMaintenance, r => r.PushesSinceMaintenance - pushes)
                    .SetProperty(r => r.MaintainedAt, finished)
                    .SetProperty(r => r.MaintenanceRuns, r => r.MaintenanceRuns + 1)
                    .SetProperty(r => r.MaintenanceHolder, (string?)null)
                    .SetProperty(r => r.MaintenanceLeaseUntil, (DateTime?)null), CancellationToken.None));
            logger.LogInformation("Repository maintenance of {RepositoryId} finished in {Milliseconds} ms: {Packs} pack(s)",
                repositoryId, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, CountPacks(path));
            return Outcome.Maintained;
        }

        // Stopping: free the lease for whichever node comes next. A failure: leave the repository alone for a while.
        DateTime? retryAt = ct.IsCancellationRequested ? null : finished + RetryAfterFailure;
        await WithDbAsync(db => db.Repositories.Where(r => r.Id == repositoryId && r.MaintenanceHolder == Holder)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.MaintenanceHolder, (string?)null).SetProperty(r => r.MaintenanceLeaseUntil, retryAt), CancellationToken.None));
        logger.LogWarning("Repository maintenance of {RepositoryId} did not finish: {Failure}", repositoryId, failure);
        return Outcome.Failed;
    }

    /// <summary>Renews the lease until <paramref name="ct"/> ends; each renewal moves <paramref name="leaseEnds"/> on, a refused one fires it.</summary>
    private async Task RenewAsync(long repositoryId, CancellationTokenSource leaseEnds, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(RenewEvery, clock, ct);
                var until = clock.GetUtcNow().UtcDateTime + LeaseTerm;
                try
                {
                    var renewed = await WithDbAsync(db => db.Repositories.Where(r => r.Id == repositoryId && r.MaintenanceHolder == Holder)
                        .ExecuteUpdateAsync(s => s.SetProperty(r => r.MaintenanceLeaseUntil, until), ct));
                    if (renewed != 1)
                    {
                        logger.LogWarning("Repository maintenance of {RepositoryId} lost its lease", repositoryId);
                        await leaseEnds.CancelAsync();
                        return;
                    }
                    leaseEnds.CancelAfter(LeaseTerm - Margin);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Tried again at the next renewal; git is stopped if none succeeds in time.
                    logger.LogWarning("Repository maintenance of {RepositoryId} could not renew its lease: {Error}", repositoryId, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One git command under the watchdog: its stdin stays open (and unwritten) until git ends.</summary>
    private static async Task<GitResult> RunAsync(string repoPath, string[] step, CancellationToken ct)
    {
        using var process = Process.Start(StartInfo(repoPath, step)) ?? throw new InvalidOperationException("git could not be started.");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            await stdout;
            return new GitResult(process.ExitCode, [], await stderr);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.StandardInput.Close();
        }
    }

    /// <summary>git with <paramref name="gitArguments"/> in <paramref name="repoPath"/>, started by the watchdog in a session of its own; keep its stdin open while it runs.</summary>
    public static ProcessStartInfo StartInfo(string repoPath, IEnumerable<string> gitArguments)
    {
        var info = GitCommand.StartInfo(repoPath, gitArguments);
        info.ArgumentList.Insert(0, "git");
        info.ArgumentList.Insert(0, "latchkey-maintenance");
        info.ArgumentList.Insert(0, Watchdog);
        info.ArgumentList.Insert(0, "-c");
        info.FileName = "bash";
        ServerLifeline.Attach(info);
        return info;
    }

    private static string NameThisProcess()
    {
        // The random part tells a restarted server (same host, perhaps the same process id) from the one before it.
        var name = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        return name.Length > MaxHolderLength ? name[^MaxHolderLength..] : name;
    }

    private static int CountPacks(string repoPath)
    {
        try
        {
            return Directory.GetFiles(Path.Combine(repoPath, "objects", "pack"), "*.pack").Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private async Task<T> WithDbAsync<T>(Func<LatchkeyDb, Task<T>> query)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchkeyDb>());
    }
}
