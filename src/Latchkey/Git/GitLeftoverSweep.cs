using Latchkey.Data;
using Latchkey.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Git;

/// <summary>
/// Removes what pushes leave behind when the server dies under them (kill -9, out of memory, power):
/// receive-pack's quarantine object directories (<c>objects/tmp_objdir-incoming-*</c>, as large as the
/// push, never used again: git only ever migrates the one it is running) and push protection's work
/// folders (<see cref="DataDirectory.PushProtection"/>, which may hold the candidate tokens of a push),
/// and Git LFS uploads staged in <c>lfs/incoming</c> that never finished.
/// <para>
/// Once as the server starts, before it takes a request: with the embedded SQLite database only one
/// server process uses a data directory, so everything found then is stale and goes. With PostgreSQL
/// several nodes may share the data directory, and a fresh leftover may be another node's running
/// push: only what is older than the longest allowed push (<see cref="GitOptions.MaxPushMinutes"/>,
/// enforced by <see cref="GitHttp"/>) plus <see cref="Allowance"/> goes. Then every
/// <see cref="Period"/>, on that age rule in both modes (a push the server itself cut, with
/// receive-pack killed, leaves a quarantine too). Ages are read on the data volume's own clock (the
/// time stamp of a file just written), so nodes whose clocks disagree with the file server's, or a
/// test's fake clock, do not matter.
/// </para>
/// </summary>
public sealed class GitLeftoverSweep(DataDirectory data, DatabaseOptions database, IOptions<GitOptions> options, ILogger<GitLeftoverSweep> logger)
    : BackgroundService, IHostedLifecycleService
{
    public const string QuarantinePattern = "tmp_objdir-incoming-*";

    public static readonly TimeSpan Period = TimeSpan.FromMinutes(15);

    /// <summary>Beyond the longest push: between a node starting a push and the volume stamping its folder.</summary>
    public static readonly TimeSpan Allowance = TimeSpan.FromMinutes(5);

    /// <summary>A leftover older than this belongs to no running push on any node.</summary>
    public TimeSpan StaleAfter => TimeSpan.FromMinutes(options.Value.MaxPushMinutes) + Allowance;

    public sealed record Outcome(int Quarantines, long QuarantineBytes, int WorkFolders, int Failures, int LfsUploads = 0)
    {
        public bool Any => Quarantines + WorkFolders + Failures + LfsUploads > 0;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var alone = database.Provider == DatabaseProvider.Sqlite;
        var outcome = Sweep(alone ? null : StaleAfter);
        logger.LogInformation(
            "Start-up sweep ({Rule}): removed {Quarantines} push quarantine(s), {Megabytes} MiB, {WorkFolders} push-protection work folder(s) and {LfsUploads} unfinished Git LFS upload(s); {Failures} could not be removed",
            alone ? "one node, everything left is stale" : $"shared data directory, older than {StaleAfter.TotalMinutes} minutes",
            outcome.Quarantines, outcome.QuarantineBytes / (1024 * 1024), outcome.WorkFolders, outcome.LfsUploads, outcome.Failures);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Paced by the real clock, as ages are read on the volume's: a test's clock jumping ahead makes no ticks.
        using var timer = new PeriodicTimer(Period, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var outcome = Sweep(StaleAfter);
                if (outcome.Any)
                {
                    logger.LogInformation(
                        "Sweep (older than {Minutes} minutes): removed {Quarantines} push quarantine(s), {Megabytes} MiB, {WorkFolders} push-protection work folder(s) and {LfsUploads} unfinished Git LFS upload(s); {Failures} could not be removed",
                        StaleAfter.TotalMinutes, outcome.Quarantines, outcome.QuarantineBytes / (1024 * 1024), outcome.WorkFolders, outcome.LfsUploads, outcome.Failures);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Removes every leftover (<paramref name="olderThan"/> null) or those older than it.</summary>
    public Outcome Sweep(TimeSpan? olderThan)
    {
        HostingSetup.CreatePrivateDirectory(data.PushProtection);
        DateTime? cutoff = null;
        if (olderThan is { } age)
        {
            if (VolumeNow() is not { } now)
                return new Outcome(0, 0, 0, 1);
            cutoff = now - age;
        }
        bool Stale(FileSystemInfo entry) => cutoff is null || entry.LastWriteTimeUtc < cutoff;

        int quarantines = 0, workFolders = 0, failures = 0;
        long bytes = 0;
        foreach (var quarantine in Quarantines())
        {
            if (!Stale(quarantine))
                continue;
            var size = SizeOf(quarantine);
            if (Remove(quarantine))
            {
                quarantines++;
                bytes += size;
            }
            else
            {
                failures++;
            }
        }
        foreach (var entry in Entries(new DirectoryInfo(data.PushProtection)))
        {
            if (!Stale(entry))
                continue;
            if (Remove(entry))
                workFolders++;
            else
                failures++;
        }
        // Git LFS uploads a crash cut off (an upload, like a push, runs at most Git:MaxPushMinutes).
        var lfsUploads = 0;
        var incoming = new DirectoryInfo(Path.Combine(data.Lfs, "incoming"));
        foreach (var entry in incoming.Exists ? Entries(incoming) : [])
        {
            if (!Stale(entry))
                continue;
            if (Remove(entry))
                lfsUploads++;
            else
                failures++;
        }
        return new Outcome(quarantines, bytes, workFolders, failures, lfsUploads);
    }

    /// <summary>The quarantine directories of every repository (repositories/{owner}/{id}.git/objects).</summary>
    private IEnumerable<DirectoryInfo> Quarantines()
    {
        var root = new DirectoryInfo(data.Repositories);
        if (!root.Exists)
            yield break;
        foreach (var owner in Directories(root, "*"))
        {
            foreach (var repository in Directories(owner, "*.git"))
            {
                var objects = new DirectoryInfo(Path.Combine(repository.FullName, "objects"));
                if (!objects.Exists)
                    continue;
                foreach (var quarantine in Directories(objects, QuarantinePattern))
                    yield return quarantine;
            }
        }
    }

    private DirectoryInfo[] Directories(DirectoryInfo parent, string pattern)
    {
        try
        {
            return parent.GetDirectories(pattern);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The sweep could not list {Directory}: {Error}", parent.FullName, e.Message);
            return [];
        }
    }

    private FileSystemInfo[] Entries(DirectoryInfo parent)
    {
        try
        {
            return parent.GetFileSystemInfos();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The sweep could not list {Directory}: {Error}", parent.FullName, e.Message);
            return [];
        }
    }

    private static long SizeOf(DirectoryInfo directory)
    {
        try
        {
            return directory.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private bool Remove(FileSystemInfo entry)
    {
        try
        {
            if (entry is DirectoryInfo directory)
                directory.Delete(recursive: true);
            else
                entry.Delete();
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            // Gone already (its push finished, or another node swept it): nothing left to remove.
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The sweep could not remove {Path}: {Error}", entry.FullName, e.Message);
            return false;
        }
    }

    /// <summary>The data volume's "now": the time stamp it gives a file written this moment.</summary>
    private DateTime? VolumeNow()
    {
        var probe = Path.Combine(data.PushProtection, $".clock-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            return File.GetLastWriteTimeUtc(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The sweep could not read the data volume's clock in {Directory}: {Error}", data.PushProtection, e.Message);
            return null;
        }
        finally
        {
            try
            {
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
