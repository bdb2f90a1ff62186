using System.Diagnostics;
using Latchkey.Git;
using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>
/// The pre-receive hook run by hand, the way a git without receive-pack's quarantine (older than
/// 2.11) would run it: it must fall back to walking what the pushed refs reach, and still find and
/// place a token-shaped string; and it must not wait for a server that is gone. Pushes through the
/// server (PushProtectionTests, ServerCrashTests) cover the quarantine and the process group.
/// </summary>
public sealed class PreReceiveHookTests : IDisposable
{
    /// <summary>
    /// The hook notices a dead server within 0.2 s (its watchdog) or 50 ms (its verdict wait); the
    /// tests allow for a loaded machine's scheduling, still far below the minute the hook used to wait.
    /// </summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("latchkey-hook-");

    private async Task<string> GitAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["HOME"] = _root.FullName;
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Hook Test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "hook@example.test";
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
        return output.Trim();
    }

    /// <summary>A bare repository whose object store holds a pushed commit with a token that no ref points to yet.</summary>
    private async Task<(string Bare, string Old, string Pushed, string Token)> PushInProgressAsync()
    {
        var work = Path.Combine(_root.FullName, "work");
        var bare = Path.Combine(_root.FullName, "bare.git");
        await GitAsync(_root.FullName, "init", "--quiet", "--initial-branch=main", work);
        await File.WriteAllTextAsync(Path.Combine(work, "README.md"), "hello\n");
        await GitAsync(work, "add", "--all");
        await GitAsync(work, "commit", "--quiet", "-m", "First");
        await GitAsync(_root.FullName, "clone", "--quiet", "--bare", work, bare);
        var old = await GitAsync(work, "rev-parse", "HEAD");

        // The new commit reaches the bare repository's object store, but no ref of it points there:
        // to the hook it is a push in progress.
        var token = TokenFormat.Generate(TokenKind.Classic);
        Directory.CreateDirectory(Path.Combine(work, "ci"));
        await File.WriteAllTextAsync(Path.Combine(work, "ci", "deploy.env"), $"TOKEN={token}\n");
        await GitAsync(work, "add", "--all");
        await GitAsync(work, "commit", "--quiet", "-m", "Deploy settings");
        var pushed = await GitAsync(work, "rev-parse", "HEAD");
        await GitAsync(work, "push", "--quiet", bare, "HEAD:refs/heads/incoming");
        await GitAsync(bare, "update-ref", "-d", "refs/heads/incoming");
        PushProtection.InstallHook(bare);
        return (bare, old, pushed, token);
    }

    private sealed record RunningHook(Process Process, Task<string> Error, string Scan, string Verdict, string Session) : IDisposable
    {
        public void Dispose()
        {
            if (!Process.HasExited)
                Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>
    /// Runs the hook as receive-pack without a quarantine would, for the update old → pushed of main;
    /// <paramref name="ownSession"/>: in a session of its own, as the server starts receive-pack.
    /// </summary>
    private async Task<RunningHook> StartHookAsync(string bare, string old, string pushed, IReadOnlyDictionary<string, string>? environment = null, bool ownSession = false)
    {
        var session = Directory.CreateDirectory(Path.Combine(_root.FullName, "session")).FullName;
        var scan = Path.Combine(session, "scan");
        var verdict = Path.Combine(session, "verdict");
        var hookPath = Path.Combine(bare, "hooks", "pre-receive");
        var info = new ProcessStartInfo(ownSession ? "setsid" : hookPath)
        {
            WorkingDirectory = bare,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        if (ownSession)
            info.ArgumentList.Add(hookPath);
        info.Environment["GIT_DIR"] = bare;
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment.Remove("GIT_QUARANTINE_PATH");
        info.Environment.Remove("GIT_OBJECT_DIRECTORY");
        info.Environment["LATCHKEY_PUSH_SCAN"] = scan;
        info.Environment["LATCHKEY_PUSH_VERDICT"] = verdict;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        var hook = Process.Start(info)!;
        await hook.StandardInput.WriteLineAsync($"{old} {pushed} refs/heads/main");
        hook.StandardInput.Close();
        return new RunningHook(hook, hook.StandardError.ReadToEndAsync(), scan, verdict, session);
    }

    /// <summary>Waits until the hook hands its findings over (it then waits for a verdict).</summary>
    private static async Task<string[]> FindingsAsync(RunningHook hook)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!File.Exists(hook.Scan))
        {
            if (hook.Process.HasExited)
                Assert.Fail("the hook exited without reporting a finding: " + await hook.Error);
            await Task.Delay(20, timeout.Token);
        }
        return await File.ReadAllLinesAsync(hook.Scan, timeout.Token);
    }

    [Fact]
    public async Task Without_a_quarantine_the_hook_walks_the_new_history_and_places_the_token()
    {
        var (bare, old, pushed, token) = await PushInProgressAsync();
        using var hook = await StartHookAsync(bare, old, pushed);

        // The hook hands over what it found, then waits for the server's verdict.
        var finding = Assert.Single(await FindingsAsync(hook));
        Assert.Equal($"{pushed}\tci/deploy.env\t{token}", finding);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await File.WriteAllTextAsync(hook.Verdict, "deny\nrefused for the test\n", timeout.Token);
        await hook.Process.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, hook.Process.ExitCode);
        Assert.Contains("refused for the test", await hook.Error, StringComparison.Ordinal);
        // What it wrote (candidate tokens among it) went with it.
        Assert.Empty(Directory.EnumerateFileSystemEntries(hook.Session));
    }

    /// <summary>Waits for the hook to end; fails, saying so, when it is still running after <paramref name="limit"/>.</summary>
    private static async Task ExitedWithinAsync(RunningHook hook, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await hook.Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the hook was still running after {limit.TotalSeconds} s");
        }
    }

    /// <summary>A process standing in for the server, and its start time as the server would pass it.</summary>
    private static (Process Process, string StartTime) StandInServer()
    {
        var process = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        return (process, stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
    }

    [Fact]
    public async Task The_hook_stops_waiting_for_a_verdict_the_moment_the_server_is_gone()
    {
        var (bare, old, pushed, _) = await PushInProgressAsync();
        var (server, startTime) = StandInServer();
        using var standIn = server;
        using var hook = await StartHookAsync(bare, old, pushed, new Dictionary<string, string>
        {
            ["LATCHKEY_SERVER_PID"] = server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LATCHKEY_SERVER_START"] = startTime,
        });
        Assert.Single(await FindingsAsync(hook));
        await Task.Delay(300);
        if (hook.Process.HasExited)
            Assert.Fail("the hook did not wait for the verdict of a live server: " + await hook.Error);

        server.Kill();
        var watch = Stopwatch.StartNew();
        await ExitedWithinAsync(hook, TimeSpan.FromSeconds(30));
        Assert.True(watch.Elapsed < Slack, $"the hook waited {watch.Elapsed} for a server that was gone");
        Assert.NotEqual(0, hook.Process.ExitCode);
        Assert.Contains("it was refused", await hook.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(hook.Session));
    }

    /// <summary>The running processes of a process group, as "pid: command line".</summary>
    private static List<string> ProcessGroup(int group)
    {
        var members = new List<string>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is not ("Z" or "X") && fields[2] == group.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    members.Add($"{Path.GetFileName(entry)}: {File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ').Trim()}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return members;
    }

    [Fact]
    public async Task When_the_server_dies_mid_scan_the_watchdog_ends_the_hook_and_all_it_started_at_once()
    {
        var (bare, old, pushed, _) = await PushInProgressAsync();
        // A push far larger than a test can make: a git whose reading of the pushed objects never ends.
        var slowGit = Directory.CreateDirectory(Path.Combine(_root.FullName, "slow-git")).FullName;
        var realGit = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, "git")).First(File.Exists);
        var wrapper = Path.Combine(slowGit, "git");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/bash\nfor a in \"$@\"; do [ \"$a\" = --batch ] && exec sleep 600; done\nexec {realGit} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (server, startTime) = StandInServer();
        using var standIn = server;
        using var hook = await StartHookAsync(bare, old, pushed, new Dictionary<string, string>
        {
            ["LATCHKEY_SERVER_PID"] = server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LATCHKEY_SERVER_START"] = startTime,
            ["LATCHKEY_OWN_SESSION"] = "1",
            ["PATH"] = slowGit + ":" + Environment.GetEnvironmentVariable("PATH"),
        }, ownSession: true);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!ProcessGroup(hook.Process.Id).Any(p => p.Contains("sleep 600", StringComparison.Ordinal)))
        {
            if (hook.Process.HasExited)
                Assert.Fail("the hook ended before reading the objects: " + await hook.Error);
            await Task.Delay(20, timeout.Token);
        }
        await Task.Delay(300, timeout.Token);
        Assert.False(hook.Process.HasExited);

        server.Kill();
        var watch = Stopwatch.StartNew();
        await ExitedWithinAsync(hook, TimeSpan.FromSeconds(30));
        var left = ProcessGroup(hook.Process.Id);
        while (left.Count > 0 && watch.Elapsed < Slack)
        {
            await Task.Delay(20, timeout.Token);
            left = ProcessGroup(hook.Process.Id);
        }
        Assert.True(watch.Elapsed < Slack, $"the hook read on for {watch.Elapsed} for a server that was gone");
        Assert.True(left.Count == 0, "still running after the server was gone:\n" + string.Join('\n', left));
        Assert.NotEqual(0, hook.Process.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(hook.Session));
    }

    [Fact]
    public async Task A_process_that_took_over_the_servers_id_does_not_pass_for_the_server()
    {
        var (bare, old, pushed, _) = await PushInProgressAsync();
        var (stranger, startTime) = StandInServer();
        using var standIn = stranger;
        try
        {
            // The id is alive, but the process behind it started at another time than the server did.
            using var hook = await StartHookAsync(bare, old, pushed, new Dictionary<string, string>
            {
                ["LATCHKEY_SERVER_PID"] = stranger.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["LATCHKEY_SERVER_START"] = (long.Parse(startTime, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            await ExitedWithinAsync(hook, TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, hook.Process.ExitCode);
            Assert.Contains("it was refused", await hook.Error, StringComparison.Ordinal);
            Assert.False(File.Exists(hook.Verdict));
        }
        finally
        {
            stranger.Kill();
        }
    }

    public void Dispose()
    {
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
