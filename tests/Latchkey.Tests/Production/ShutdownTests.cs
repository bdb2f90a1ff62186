using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Production;

/// <summary>
/// Graceful shutdown: at SIGTERM a node stops taking new connections, lets a push that is already
/// running finish, and exits cleanly; a push that outlasts Latchkey:ShutdownTimeout is cut and moves no ref.
/// With Latchkey:DrainDelay it first stays in a load balancer's view for the delay, not ready.
/// </summary>
public sealed class ShutdownTests
{
    private const string Password = "shutdown test passphrase";

    /// <summary>A receive-pack request body: the command creating refs/heads/main, then a pack of one commit.</summary>
    private static async Task<(byte[] Body, string Commit)> PushOfOneCommitAsync(GitClient git)
    {
        var work = await git.NewLocalRepositoryAsync("source");
        await git.CommitFileAsync("source", "data.bin", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(256 * 1024)), "Payload");
        var commit = (await git.RunAsync(work, null, null, "rev-parse", "HEAD")).Output.Trim();

        var info = new ProcessStartInfo("git") { WorkingDirectory = work, RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "pack-objects", "--stdout", "--revs", "-q" })
            info.ArgumentList.Add(arg);
        using var pack = Process.Start(info)!;
        await pack.StandardInput.WriteAsync(commit + "\n");
        pack.StandardInput.Close();
        using var packBytes = new MemoryStream();
        await pack.StandardOutput.BaseStream.CopyToAsync(packBytes);
        await pack.WaitForExitAsync();
        Assert.Equal(0, pack.ExitCode);

        var command = $"{new string('0', 40)} {commit} refs/heads/main\0report-status\n";
        var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes($"{command.Length + 4:x4}{command}0000"));
        packBytes.Position = 0;
        await packBytes.CopyToAsync(body);
        return (body.ToArray(), commit);
    }

    private static async Task<(ServerProcess Node, string Data, string Token)> StartWithRepositoryAsync(string shutdownTimeout, string? drainDelay = null)
    {
        var data = Directory.CreateTempSubdirectory("latchkey-shutdown-").FullName;
        var settings = await TestDatabase.SettingsForAsync(data);
        settings["Latchkey:ShutdownTimeout"] = shutdownTimeout;
        if (drainDelay is not null)
            settings["Latchkey:DrainDelay"] = drainDelay;
        var node = await ServerProcess.StartAsync(data, settings);
        using var web = new WebSession(node.BaseAddress);
        await web.SignUpAsync("carol", Password);
        await web.CreateRepositoryAsync("landing");
        var token = await web.CreateTokenAsync("push", ["repo"]);
        return (node, data, token);
    }

    private static async Task<bool> AcceptsConnectionsAsync(ServerProcess node)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
            using var response = await http.GetAsync("healthz");
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<GitRun> BranchOnDiskAsync(GitClient git, string data)
    {
        var bare = Assert.Single(Directory.EnumerateDirectories(Path.Combine(data, "repositories"), "*.git", SearchOption.AllDirectories));
        return await git.RunAsync(null, null, null, "--git-dir", bare, "rev-parse", "--verify", "-q", "refs/heads/main");
    }

    private static async Task CleanUpAsync(ServerProcess node, string data)
    {
        await node.DisposeAsync();
        await TestDatabase.DropAsync(data);
        Directory.Delete(data, recursive: true);
    }

    private static async Task<(Task<HttpResponseMessage> Push, TaskCompletionSource Release, HttpClient Http)> StartPushAsync(ServerProcess node, string token, byte[] body)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var content = new HeldBackContent(body, sent, release.Task);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-git-receive-pack-request");
        var request = new HttpRequestMessage(HttpMethod.Post, "carol/landing.git/git-receive-pack") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("carol:" + token)));
        var push = http.SendAsync(request);
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return (push, release, http);
    }

    [Fact]
    public async Task A_push_running_at_sigterm_finishes_and_lands_then_the_node_exits_cleanly()
    {
        var (node, data, token) = await StartWithRepositoryAsync("00:01:00");
        try
        {
            using var git = new GitClient();
            var (body, commit) = await PushOfOneCommitAsync(git);
            var (push, release, http) = await StartPushAsync(node, token, body);
            using (http)
            {
                // Half the pack is in; now the node is told to stop.
                var stopped = node.StopAsync(TimeSpan.FromSeconds(90));
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (await AcceptsConnectionsAsync(node) && DateTime.UtcNow < deadline)
                    await Task.Delay(100);
                Assert.False(await AcceptsConnectionsAsync(node), "the stopping node still takes new connections");
                Assert.False(node.HasExited, "the node exited with a push still running");

                release.SetResult();
                using var response = await push;
                var result = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains("unpack ok", result, StringComparison.Ordinal);
                Assert.Contains("ok refs/heads/main", result, StringComparison.Ordinal);
                Assert.Equal(0, await stopped);
            }
            var landed = await BranchOnDiskAsync(git, data);
            Assert.Equal(commit, landed.Output.Trim());
        }
        finally
        {
            await CleanUpAsync(node, data);
        }
    }

    [Fact]
    public async Task A_push_that_outlasts_the_shutdown_timeout_is_cut_and_moves_no_ref()
    {
        var (node, data, token) = await StartWithRepositoryAsync("00:00:02");
        try
        {
            using var git = new GitClient();
            var (body, _) = await PushOfOneCommitAsync(git);
            var (push, release, http) = await StartPushAsync(node, token, body);
            using (http)
            {
                var watch = Stopwatch.StartNew();
                await node.StopAsync(TimeSpan.FromSeconds(60));
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the node took {watch.Elapsed} to stop with a 2 s shutdown timeout");
                release.SetResult();
                await Assert.ThrowsAnyAsync<Exception>(async () =>
                {
                    using var response = await push;
                    await response.Content.ReadAsStringAsync();
                    Assert.Fail($"the cut push was answered {response.StatusCode}");
                });
            }
            Assert.False((await BranchOnDiskAsync(git, data)).Succeeded, "a cut push moved a ref");
        }
        finally
        {
            await CleanUpAsync(node, data);
        }
    }

    [Fact]
    public async Task With_a_drain_delay_a_stopping_node_says_not_ready_refuses_new_reads_serves_a_push_then_closes_its_port()
    {
        var (node, data, token) = await StartWithRepositoryAsync("00:01:00", drainDelay: "00:00:04");
        try
        {
            using var git = new GitClient();
            var (body, commit) = await PushOfOneCommitAsync(git);
            using var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var watch = Stopwatch.StartNew();
            var stopped = node.StopAsync(TimeSpan.FromSeconds(60));

            // Readiness fails at once, so that a load balancer takes the node out.
            var deadline = DateTime.UtcNow.AddSeconds(3);
            HttpStatusCode ready;
            string readiness;
            do
            {
                using var probe = await http.GetAsync("readyz");
                (ready, readiness) = (probe.StatusCode, await probe.Content.ReadAsStringAsync());
            }
            while (ready == HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
            Assert.Contains("draining: Unhealthy (the node is stopping)", readiness, StringComparison.Ordinal);

            // A new read is refused with nothing done, for a proxy to repeat elsewhere; liveness still answers.
            using (var read = await http.GetAsync("carol/landing.git/info/refs?service=git-upload-pack"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
                Assert.Contains("close", read.Headers.Connection);
                Assert.Contains("stopping", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            using (var live = await http.GetAsync("healthz"))
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            // A push (a POST, which no proxy repeats) is still served, and lands.
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-git-receive-pack-request");
            using var request = new HttpRequestMessage(HttpMethod.Post, "carol/landing.git/git-receive-pack") { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("carol:" + token)));
            using (var push = await http.SendAsync(request))
            {
                var result = await push.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.OK, push.StatusCode);
                Assert.Contains("ok refs/heads/main", result, StringComparison.Ordinal);
            }
            Assert.False(node.HasExited, "the node exited before its drain delay ended");
            Assert.True(await AcceptsConnectionsAsync(node), "the node closed its port before its drain delay ended");

            // Then the port closes and the node exits cleanly.
            Assert.Equal(0, await stopped);
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(3.5), $"the node stopped {watch.Elapsed} after SIGTERM, within its 4 s drain delay");
            Assert.False(await AcceptsConnectionsAsync(node));
            Assert.Contains("draining for 4 s", node.Output, StringComparison.Ordinal);
            Assert.Equal(commit, (await BranchOnDiskAsync(git, data)).Output.Trim());
        }
        finally
        {
            await CleanUpAsync(node, data);
        }
    }

    [Fact]
    public async Task A_bad_drain_delay_stops_the_server_at_start_with_the_setting_named()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Latchkey:DrainDelay"] = "-00:00:01" }));
        Assert.Contains("Latchkey:DrainDelay", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_shutdown_timeout_stops_the_server_at_start_with_the_setting_named()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Latchkey:ShutdownTimeout"] = "soon" }));
        Assert.Contains("Latchkey:ShutdownTimeout", error.ToString(), StringComparison.Ordinal);
    }
}
