using System.Diagnostics;
using Latchkey.Data;
using Latchkey.Git;
using Latchkey.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// A repository pushed to often is kept in shape in the background: after enough pushes and some idle
/// time it has few packs, a reachability bitmap and a commit-graph, and still holds exactly what was
/// pushed. Pushes during maintenance land; nodes sharing the data directory maintain a repository one
/// at a time (the database lease); with maintenance off a repository stays as pushed; and no
/// maintenance git outlives the server.
/// </summary>
public sealed class RepositoryMaintenanceTests
{
    private const string Password = "maintenance test passphrase";
    private const string User = "keeper";

    private sealed record Site(LatchkeyServer Server, WebSession Web, string Token, GitClient Git, string Url, string Work) : IAsyncDisposable
    {
        /// <summary>The bare repository on the server (the only one in this data directory).</summary>
        public string Bare => Directory.GetDirectories(Path.Combine(Server.DataDirectory, "repositories"), "*.git", SearchOption.AllDirectories).Single();

        public RepositoryMaintenance Maintenance => Server.Services.GetRequiredService<RepositoryMaintenance>();

        public async Task<Repositories.Repository> RecordAsync()
        {
            using var scope = Server.Services.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<LatchkeyDb>().Repositories.AsNoTracking().SingleAsync();
        }

        public async Task UpdateLeaseAsync(string? holder, DateTime? until)
        {
            using var scope = Server.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<LatchkeyDb>().Repositories
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.MaintenanceHolder, holder).SetProperty(r => r.MaintenanceLeaseUntil, until));
        }

        public async Task PushCommitsAsync(int count, string prefix)
        {
            for (var i = 0; i < count; i++)
            {
                await Git.CommitFileAsync("work", $"{prefix}-{i}.txt", $"{prefix} {i}\n", $"{prefix} {i}");
                var push = await Git.PushAsync(Work, Url, User, Token, "HEAD:main");
                Assert.True(push.Succeeded, push.ToString());
            }
        }

        public async ValueTask DisposeAsync()
        {
            Git.Dispose();
            Web.Dispose();
            await Server.DisposeAsync();
        }
    }

    private static async Task<Site> StartAsync(Dictionary<string, string> settings)
    {
        var server = await LatchkeyServer.StartAsync(settings);
        var web = server.NewBrowserSession();
        await web.SignUpAsync(User, Password);
        await web.CreateRepositoryAsync("kept", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("pushes", ["repo"]);
        var git = new GitClient();
        var url = server.Url($"/{User}/kept.git");
        var clone = await git.CloneAsync(url, "work", User, token);
        Assert.True(clone.Succeeded, clone.ToString());
        return new Site(server, web, token, git, url, Path.Combine(git.WorkDirectory, "work"));
    }

    private static string[] Files(string bare, string folder, string pattern)
    {
        var path = Path.Combine(bare, "objects", folder);
        return Directory.Exists(path) ? Directory.GetFiles(path, pattern).Select(f => Path.GetFileName(f)).Order().ToArray() : [];
    }

    private static string[] Packs(string bare) => Files(bare, "pack", "*.pack");

    private static string[] Bitmaps(string bare) => Files(bare, "pack", "*.bitmap");

    private static async Task<GitRun> FsckAsync(GitClient git, string bare)
    {
        var fsck = await git.RunAsync(null, null, null, "--git-dir", bare, "fsck", "--strict", "--no-progress", "--no-dangling");
        Assert.True(fsck.Succeeded, fsck.ToString());
        return fsck;
    }

    private static async Task<string> RefsAsync(GitClient git, string gitDir) =>
        (await git.RunAsync(null, null, null, "--git-dir", gitDir, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")).Output.Trim();

    /// <summary>Waits, in real time, for the server's background service to finish <paramref name="runs"/> maintenance runs.</summary>
    private static async Task<Repositories.Repository> WaitForRunsAsync(Site site, int runs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var record = await site.RecordAsync();
            if (record.MaintenanceRuns >= runs)
                return record;
            Assert.True(DateTime.UtcNow < deadline, $"No maintenance after 90 s (runs {record.MaintenanceRuns}, pushes {record.PushesSinceMaintenance}):\n" +
                string.Join('\n', site.Server.AllLogs.Split('\n').Where(l => l.Contains("maintenance", StringComparison.OrdinalIgnoreCase))));
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task After_enough_pushes_and_idle_time_a_repository_is_repacked_with_a_bitmap_and_a_commit_graph_and_holds_the_same()
    {
        await using var site = await StartAsync(new() { ["Git:MaintenanceAfterPushes"] = "4", ["Git:MaintenanceIdleSeconds"] = "30" });
        await site.Git.RunAsync(site.Work, null, null, "tag", "-a", "v1", "-m", "first release");
        var tag = await site.Git.PushAsync(site.Work, site.Url, User, site.Token, "refs/tags/v1");
        Assert.True(tag.Succeeded, tag.ToString());
        await site.PushCommitsAsync(3, "early");

        // As pushed: small pushes are unpacked into loose objects; no bitmap, no commit-graph.
        var before = await RefsAsync(site.Git, site.Bare);
        Assert.NotEmpty(Directory.GetDirectories(Path.Combine(site.Bare, "objects"), "??"));
        Assert.Empty(Bitmaps(site.Bare));
        Assert.False(Directory.Exists(Path.Combine(site.Bare, "objects", "info", "commit-graphs")));
        Assert.Equal(4, (await site.RecordAsync()).PushesSinceMaintenance);

        // Not while pushes are recent: the repository has to be idle first.
        Assert.False(await site.Maintenance.MaintainNextAsync(CancellationToken.None));
        Assert.Empty(Bitmaps(site.Bare));

        // 30 s later (the server's clock) the background service finds it due.
        site.Server.Clock.Advance(TimeSpan.FromSeconds(31));
        var record = await WaitForRunsAsync(site, 1);

        Assert.Equal(0, record.PushesSinceMaintenance);
        Assert.Null(record.MaintenanceHolder);
        Assert.Null(record.MaintenanceLeaseUntil);
        Assert.NotNull(record.MaintainedAt);
        var packs = Packs(site.Bare);
        Assert.InRange(packs.Length, 1, 2);
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(site.Bare, "objects"), "??"), d => Directory.EnumerateFiles(d).Any());
        Assert.True(File.Exists(Path.Combine(site.Bare, "objects", "pack", "multi-pack-index")), string.Join(", ", Files(site.Bare, "pack", "*")));
        Assert.Single(Bitmaps(site.Bare), b => b.StartsWith("multi-pack-index-", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(site.Bare, "objects", "info", "commit-graphs", "commit-graph-chain")));
        Assert.True(File.Exists(Path.Combine(site.Bare, "packed-refs")));
        Assert.Equal(before, await RefsAsync(site.Git, site.Bare));
        await FsckAsync(site.Git, site.Bare);
        var verify = await site.Git.RunAsync(null, null, null, "--git-dir", site.Bare, "commit-graph", "verify");
        Assert.True(verify.Succeeded, verify.ToString());
        Assert.Contains($"Repository maintenance of {record.Id} finished", site.Server.AllLogs, StringComparison.Ordinal);

        // A clone after maintenance (served from the bitmap) has every ref and object.
        var clone = await site.Git.RunAsync(null, User, site.Token, "clone", "--bare", "--quiet", site.Url, "after.git");
        Assert.True(clone.Succeeded, clone.ToString());
        var cloned = Path.Combine(site.Git.WorkDirectory, "after.git");
        Assert.Equal(before, await RefsAsync(site.Git, cloned));
        await FsckAsync(site.Git, cloned);

        // Three more pushes are not enough for another run, whatever the idle time.
        await site.PushCommitsAsync(3, "later");
        site.Server.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.False(await site.Maintenance.MaintainNextAsync(CancellationToken.None));
        Assert.Equal(1, (await site.RecordAsync()).MaintenanceRuns);
    }

    [Fact]
    public async Task Pushes_and_clones_while_maintenance_runs_land_whole_and_nothing_is_lost()
    {
        await using var site = await StartAsync(new() { ["Git:MaintenanceAfterPushes"] = "1", ["Git:MaintenanceIdleSeconds"] = "0" });
        // Some bulk, so that each repack has work: 1 MB of incompressible files in one push.
        for (var i = 0; i < 2; i++)
            await File.WriteAllBytesAsync(Path.Combine(site.Work, $"blob-{i}.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(512 * 1024));
        await site.PushCommitsAsync(1, "bulk");

        using var stop = new CancellationTokenSource();
        var runs = 0;
        var maintaining = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await site.Maintenance.MaintainAsync((await site.RecordAsync()).Id, CancellationToken.None) == RepositoryMaintenance.Outcome.Maintained)
                    runs++;
            }
        });
        var fetches = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var fetch = await site.Git.RunAsync(null, User, site.Token, "clone", "--bare", "--quiet", site.Url, $"reader-{n++}.git");
                Assert.True(fetch.Succeeded, fetch.ToString());
            }
        });
        try
        {
            await site.PushCommitsAsync(5, "during");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(maintaining, fetches);
        }
        Assert.True(runs > 0, "maintenance never ran");

        // Every pushed commit is on the server, its objects whole; once more maintained, still so.
        var head = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim();
        Assert.Equal(head, (await site.Git.RunAsync(null, null, null, "--git-dir", site.Bare, "rev-parse", "refs/heads/main")).Output.Trim());
        await FsckAsync(site.Git, site.Bare);
        Assert.Equal(RepositoryMaintenance.Outcome.Maintained, await site.Maintenance.MaintainAsync((await site.RecordAsync()).Id, CancellationToken.None));
        await FsckAsync(site.Git, site.Bare);
        var clone = await site.Git.RunAsync(null, User, site.Token, "clone", "--bare", "--quiet", site.Url, "final.git");
        Assert.True(clone.Succeeded, clone.ToString());
        var final = Path.Combine(site.Git.WorkDirectory, "final.git");
        Assert.Equal(head, (await site.Git.RunAsync(null, null, null, "--git-dir", final, "rev-parse", "refs/heads/main")).Output.Trim());
        var count = await site.Git.RunAsync(null, null, null, "--git-dir", final, "rev-list", "--count", "refs/heads/main");
        // The README the repository was created with, the bulk and the five pushed meanwhile.
        Assert.Equal("7", count.Output.Trim());
        await FsckAsync(site.Git, final);
    }

    [Fact]
    public async Task A_lease_held_by_another_node_is_honoured_and_one_left_by_a_crashed_node_expires()
    {
        await using var site = await StartAsync(new() { ["Git:MaintenanceAfterPushes"] = "2", ["Git:MaintenanceIdleSeconds"] = "0" });
        await site.PushCommitsAsync(2, "due");
        var id = (await site.RecordAsync()).Id;
        var now = site.Server.Clock.GetUtcNow().UtcDateTime;

        // Another node is maintaining it: this one keeps off, by the background path and when asked directly.
        await site.UpdateLeaseAsync("other-node/4242/0123", now + TimeSpan.FromMinutes(5));
        Assert.False(await site.Maintenance.MaintainNextAsync(CancellationToken.None));
        Assert.Equal(RepositoryMaintenance.Outcome.Busy, await site.Maintenance.MaintainAsync(id, CancellationToken.None));
        var held = await site.RecordAsync();
        Assert.Equal(0, held.MaintenanceRuns);
        Assert.Equal("other-node/4242/0123", held.MaintenanceHolder);
        Assert.Empty(Bitmaps(site.Bare));

        // That node died; its lease ran out unrenewed: this node takes over.
        await site.UpdateLeaseAsync("other-node/4242/0123", now - TimeSpan.FromSeconds(1));
        Assert.True(await site.Maintenance.MaintainNextAsync(CancellationToken.None));
        var record = await site.RecordAsync();
        Assert.Equal(1, record.MaintenanceRuns);
        Assert.Null(record.MaintenanceHolder);
        Assert.NotEmpty(Bitmaps(site.Bare));
        Assert.Contains($"Repository maintenance of {id} started ({site.Maintenance.Holder}", site.Server.AllLogs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_maintenance_off_a_repository_stays_as_pushed()
    {
        await using var site = await StartAsync(new() { ["Git:Maintenance"] = "false", ["Git:MaintenanceAfterPushes"] = "1", ["Git:MaintenanceIdleSeconds"] = "0" });
        await site.PushCommitsAsync(3, "kept as is");
        var packs = Packs(site.Bare);

        site.Server.Clock.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(500);

        Assert.Contains("Repository maintenance is off", site.Server.AllLogs, StringComparison.Ordinal);
        var record = await site.RecordAsync();
        Assert.Equal(0, record.MaintenanceRuns);
        Assert.Equal(3, record.PushesSinceMaintenance);
        Assert.Equal(packs, Packs(site.Bare));
        Assert.Empty(Bitmaps(site.Bare));
        Assert.False(File.Exists(Path.Combine(site.Bare, "objects", "pack", "multi-pack-index")));
        Assert.False(Directory.Exists(Path.Combine(site.Bare, "objects", "info", "commit-graphs")));
    }

    [Fact]
    public async Task Maintenance_git_ends_with_its_whole_process_group_when_the_server_goes()
    {
        // git standing in for a long repack: an alias that runs a shell, which waits.
        var folder = Directory.CreateTempSubdirectory("latchkey-watchdog-").FullName;
        try
        {
            var info = RepositoryMaintenance.StartInfo(folder, ["-c", "alias.nap=!sleep 120; :", "nap"]);
            using var process = Process.Start(info)!;
            // The watchdog's session and process group have its process id: bash, git, the alias's shell, sleep.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!Group(process.Id).Any(p => p.Command.StartsWith("sleep", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, "the stand-in for git never started: " + string.Join(", ", Group(process.Id)));
                await Task.Delay(50);
            }
            Assert.False(process.HasExited);

            // What the kernel does when the server dies: the server's end of git's stdin closes.
            process.StandardInput.Close();

            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Group(process.Id).Count > 0 || !process.HasExited)
            {
                Assert.True(DateTime.UtcNow < deadline, "maintenance git outlived the server by 10 s: " + string.Join(", ", Group(process.Id)));
                await Task.Delay(50);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The live processes of process group <paramref name="group"/> (from /proc), with their command lines.</summary>
    private static List<(int Pid, string Command)> Group(int group)
    {
        var found = new List<(int, string)>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // Fields after the command: state (3), parent (4), process group (5).
                if (fields[0] is "Z" or "X" || fields[2] != group.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    continue;
                found.Add((pid, File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ').Trim()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    [Fact]
    public async Task A_server_killed_mid_repack_leaves_no_git_running_and_its_next_start_maintains_the_repository()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-maintenance-crash-").FullName;
        // A git whose repack takes minutes while the flag file exists (a large repository), git itself otherwise.
        var tools = Directory.CreateTempSubdirectory("latchkey-slow-git-").FullName;
        var slow = Path.Combine(tools, "slow");
        await File.WriteAllTextAsync(slow, "");
        var realGit = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, "git")).First(File.Exists);
        var wrapper = Path.Combine(tools, "git");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/bash\nif [ \"$1\" = repack ] && [ -e '{slow}' ]; then sleep 297.5; fi\nexec '{realGit}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string> { ["PATH"] = tools + ":" + Environment.GetEnvironmentVariable("PATH") };
        var settings = await TestDatabase.SettingsForAsync(data);
        settings["Git:MaintenanceAfterPushes"] = "2";
        settings["Git:MaintenanceIdleSeconds"] = "0";
        List<(int Pid, string Command)> Repacks() => Running(c => c.Contains(wrapper + " repack", StringComparison.Ordinal) || c == "sleep 297.5");
        ServerProcess? node = null;
        try
        {
            node = await ServerProcess.StartAsync(data, settings, environment: environment);
            using var web = new WebSession(node.BaseAddress);
            await web.SignUpAsync(User, Password);
            await web.CreateRepositoryAsync("kept", isPrivate: true, addReadme: true);
            var token = await web.CreateTokenAsync("pushes", ["repo"]);
            using var git = new GitClient();
            var url = node.Url($"/{User}/kept.git");
            Assert.True((await git.CloneAsync(url, "work", User, token)).Succeeded);
            var work = Path.Combine(git.WorkDirectory, "work");
            for (var i = 0; i < 2; i++)
            {
                await git.CommitFileAsync("work", $"crash-{i}.txt", $"{i}\n", $"Push {i}");
                var push = await git.PushAsync(work, url, User, token, "HEAD:main");
                Assert.True(push.Succeeded, push.ToString());
            }
            var id = Convert.ToInt64(await TestDatabase.ExecuteAsync(data, "SELECT \"Id\" FROM \"Repositories\""), System.Globalization.CultureInfo.InvariantCulture);
            var first = node;
            await WaitUntilAsync(() => first.Output.Contains($"Repository maintenance of {id} started", StringComparison.Ordinal) && Repacks().Count >= 2,
                "maintenance to reach the repack", [first]);

            // kill -9: nothing of the repack outlives the server by more than a moment.
            await node.KillAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Repacks().Count > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the repack outlived the server by 10 s: " + string.Join(", ", Repacks()));
                await Task.Delay(50);
            }
            Assert.NotNull(await TestDatabase.ExecuteAsync(data, "SELECT \"MaintenanceHolder\" FROM \"Repositories\""));
            await node.DisposeAsync();
            node = null;

            // On SQLite the next start frees the dead process's lease at once; with PostgreSQL (nodes may
            // share a host name in containers) the lease runs out first, here moved into the past.
            File.Delete(slow);
            if (TestDatabase.IsPostgres)
                await TestDatabase.ExecuteAsync(data, "UPDATE \"Repositories\" SET \"MaintenanceLeaseUntil\" = @until", ("until", DateTime.UtcNow - TimeSpan.FromMinutes(1)));
            node = await ServerProcess.StartAsync(data, settings, environment: environment);
            var second = node;
            await WaitUntilAsync(() => second.Output.Contains($"Repository maintenance of {id} finished", StringComparison.Ordinal), "maintenance after the restart", [second]);
            Assert.Equal(!TestDatabase.IsPostgres, second.Output.Contains($"released the lease on {id}", StringComparison.Ordinal));
            Assert.Equal(1L, Convert.ToInt64(await TestDatabase.ExecuteAsync(data, "SELECT \"MaintenanceRuns\" FROM \"Repositories\""), System.Globalization.CultureInfo.InvariantCulture));
            var bare = Directory.GetDirectories(Path.Combine(data, "repositories"), "*.git", SearchOption.AllDirectories).Single();
            Assert.NotEmpty(Bitmaps(bare));
            await FsckAsync(git, bare);
            var clone = await git.RunAsync(null, User, token, "clone", "--bare", "--quiet", second.Url($"/{User}/kept.git"), "after.git");
            Assert.True(clone.Succeeded, clone.ToString());
            Assert.Equal((await git.RunAsync(work, null, null, "rev-parse", "HEAD")).Output.Trim(),
                (await git.RunAsync(null, null, null, "--git-dir", Path.Combine(git.WorkDirectory, "after.git"), "rev-parse", "refs/heads/main")).Output.Trim());
        }
        finally
        {
            if (node is not null)
                await node.DisposeAsync();
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
            Directory.Delete(tools, recursive: true);
        }
    }

    /// <summary>Live processes whose command line (arguments joined by spaces) matches.</summary>
    private static List<(int Pid, string Command)> Running(Func<string, bool> matches)
    {
        var found = new List<(int, string)>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0] is "Z" or "X")
                    continue;
                var command = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ').Trim();
                if (matches(command))
                    found.Add((pid, command));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    [Fact]
    public async Task Two_nodes_on_one_database_maintain_a_repository_once_and_wait_for_each_others_lease()
    {
        // Several nodes share a data directory only with PostgreSQL; on SQLite one process holds it.
        if (!TestDatabase.IsPostgres)
            return;
        var data = Directory.CreateTempSubdirectory("latchkey-maintenance-nodes-").FullName;
        var settings = await TestDatabase.SettingsForAsync(data);
        settings["Git:MaintenanceAfterPushes"] = "3";
        settings["Git:MaintenanceIdleSeconds"] = "0";
        var nodes = new List<ServerProcess>();
        try
        {
            nodes.Add(await ServerProcess.StartAsync(data, settings));
            nodes.Add(await ServerProcess.StartAsync(data, settings));
            using var web = new WebSession(nodes[0].BaseAddress);
            await web.SignUpAsync(User, Password);
            await web.CreateRepositoryAsync("kept", isPrivate: true, addReadme: true);
            var token = await web.CreateTokenAsync("pushes", ["repo"]);
            var id = Convert.ToInt64(await TestDatabase.ExecuteAsync(data, "SELECT \"Id\" FROM \"Repositories\""), System.Globalization.CultureInfo.InvariantCulture);

            // A third node holds the lease: neither of these maintains the repository, though it is due.
            await TestDatabase.ExecuteAsync(data, "UPDATE \"Repositories\" SET \"MaintenanceHolder\" = 'third-node', \"MaintenanceLeaseUntil\" = @until",
                ("until", DateTime.UtcNow + TimeSpan.FromHours(1)));
            using var git = new GitClient();
            var clone = await git.CloneAsync(nodes[0].Url($"/{User}/kept.git"), "work", User, token);
            Assert.True(clone.Succeeded, clone.ToString());
            var work = Path.Combine(git.WorkDirectory, "work");
            for (var i = 0; i < 3; i++)
            {
                await git.CommitFileAsync("work", $"node-{i}.txt", $"through node {i % 2}\n", $"Push {i}");
                var push = await git.PushAsync(work, nodes[i % 2].Url($"/{User}/kept.git"), User, token, "HEAD:main");
                Assert.True(push.Succeeded, push.ToString());
            }
            // Both nodes poll every 5 s: two rounds in which a run would show.
            await Task.Delay(RepositoryMaintenance.Period * 2);
            Assert.All(nodes, n => Assert.Contains("Repository maintenance: after 3 push(es)", n.Output, StringComparison.Ordinal));
            Assert.Equal(0L, Convert.ToInt64(await TestDatabase.ExecuteAsync(data, "SELECT \"MaintenanceRuns\" FROM \"Repositories\""), System.Globalization.CultureInfo.InvariantCulture));
            Assert.DoesNotContain(nodes, n => n.Output.Contains($"Repository maintenance of {id} started", StringComparison.Ordinal));

            // The third node died: once its lease has run out, one of the two takes over, and only one.
            await TestDatabase.ExecuteAsync(data, "UPDATE \"Repositories\" SET \"MaintenanceLeaseUntil\" = @until", ("until", DateTime.UtcNow - TimeSpan.FromMinutes(1)));
            var finished = $"Repository maintenance of {id} finished";
            await WaitUntilAsync(() => nodes.Any(n => n.Output.Contains(finished, StringComparison.Ordinal)), "a node to maintain the repository", nodes);
            // Both nodes poll every 5 s: another two rounds in which a second run would show.
            await Task.Delay(RepositoryMaintenance.Period * 2);
            var started = $"Repository maintenance of {id} started";
            Assert.Equal(1, nodes.Sum(n => n.Output.Split('\n').Count(l => l.Contains(started, StringComparison.Ordinal))));
            Assert.Equal(1L, Convert.ToInt64(await TestDatabase.ExecuteAsync(data, "SELECT \"MaintenanceRuns\" FROM \"Repositories\""), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(0L, Convert.ToInt64(await TestDatabase.ExecuteAsync(data, "SELECT \"PushesSinceMaintenance\" FROM \"Repositories\""), System.Globalization.CultureInfo.InvariantCulture));

            // Either node serves the maintained repository whole.
            var bare = Directory.GetDirectories(Path.Combine(data, "repositories"), "*.git", SearchOption.AllDirectories).Single();
            Assert.NotEmpty(Bitmaps(bare));
            await FsckAsync(git, bare);
            foreach (var (node, n) in nodes.Select((node, n) => (node, n)))
            {
                var fresh = await git.RunAsync(null, User, token, "clone", "--bare", "--quiet", node.Url($"/{User}/kept.git"), $"from-node-{n}.git");
                Assert.True(fresh.Succeeded, fresh.ToString());
                Assert.Equal((await git.RunAsync(work, null, null, "rev-parse", "HEAD")).Output.Trim(),
                    (await git.RunAsync(null, null, null, "--git-dir", Path.Combine(git.WorkDirectory, $"from-node-{n}.git"), "rev-parse", "refs/heads/main")).Output.Trim());
            }
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, IEnumerable<ServerProcess> nodes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 60 s for {what}:\n" + string.Join("\n---\n", nodes.Select(n => n.Output[^Math.Min(n.Output.Length, 4000)..])));
            await Task.Delay(200);
        }
    }
}
