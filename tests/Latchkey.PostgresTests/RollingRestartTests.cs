using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Latchkey.Tests.Support;
using Xunit.Abstractions;

namespace Latchkey.Tests;

/// <summary>
/// Rolling restart with zero failed operations (issue #19): PostgreSQL, two nodes on one database and
/// one data directory, deploy/nginx.conf in front. Clients clone, push and call the API through nginx
/// without pause while each node in turn is stopped (SIGTERM, as a service manager does), started again
/// on its port, and taken back by nginx; every operation is counted and none may fail.
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    private const string Password = "rolling restart passphrase";

    private sealed record Operation(string Kind, TimeSpan At, bool Succeeded, string Detail);

    /// <summary>Requests a node answered that came through nginx (not the test's own readiness probes).</summary>
    private static int ProxiedRequests(ServerProcess node) =>
        node.Output.Split('\n').Count(line => line.Contains(" answered ", StringComparison.Ordinal) && !line.Contains(" /readyz ", StringComparison.Ordinal) && !line.Contains(" /healthz ", StringComparison.Ordinal));

    [NginxFact]
    public async Task Restarting_each_node_in_turn_under_continuous_load_fails_no_operation()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-rolling-").FullName;
        var settings = await TestDatabase.SettingsForAsync(data);
        settings["Proxy:KnownProxies"] = "127.0.0.1";
        settings["Latchkey:DrainDelay"] = "00:00:05";
        // The hourly API limit has tests of its own; here every answer must be a success.
        settings["Api:UserLimit"] = "10000000";
        var nodes = new ServerProcess?[2];
        var retired = new List<ServerProcess>();
        NginxProxy? nginx = null;
        var clock = Stopwatch.StartNew();
        var operations = new ConcurrentQueue<Operation>();
        using var stop = new CancellationTokenSource();
        try
        {
            nodes[0] = await ServerProcess.StartAsync(data, settings);
            nodes[1] = await ServerProcess.StartAsync(data, settings);
            nginx = await NginxProxy.StartAsync(nodes[0]!.BaseAddress, nodes[1]!.BaseAddress);
            var site = nginx.Site;

            string token;
            using (var web = new WebSession(site))
            {
                await web.SignUpAsync("rolly", Password);
                token = await web.CreateTokenAsync("rolling", ["repo", "user"]);
            }
            using var api = new HttpClient { BaseAddress = new Uri(site, "api/v3/"), Timeout = TimeSpan.FromMinutes(1) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            api.DefaultRequestHeaders.UserAgent.ParseAdd("rolling-restart-tests");
            foreach (var (name, init) in new[] { ("shared", true), ("own0", true), ("own1", true), ("own2", true) })
            {
                using var created = await api.PostAsJsonAsync("user/repos", new { name, @private = true, auto_init = init });
                Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST /user/repos {name}: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }
            string Url(string name) => new Uri(site, $"rolly/{name}.git").ToString();

            void Record(string kind, bool succeeded, string detail) => operations.Enqueue(new Operation(kind, clock.Elapsed, succeeded, detail));

            // Three people push to repositories of their own (so that no push races another) and clone the shared one.
            var lastPushed = new string?[3];
            var gitWorkers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
            {
                using var git = new GitClient();
                GitRun first;
                do
                {
                    first = await git.CloneAsync(Url($"own{w}"), "mine", "rolly", token);
                    Record("git clone", first.Succeeded, first.ToString());
                    if (!first.Succeeded && Directory.Exists(Path.Combine(git.WorkDirectory, "mine")))
                        Directory.Delete(Path.Combine(git.WorkDirectory, "mine"), recursive: true);
                }
                while (!first.Succeeded && !stop.IsCancellationRequested);
                var mine = Path.Combine(git.WorkDirectory, "mine");
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    await git.CommitFileAsync("mine", $"step{n}.txt", $"worker {w} step {n}\n", $"Step {n}");
                    var push = await git.PushAsync(mine, Url($"own{w}"), "rolly", token);
                    Record("git push", push.Succeeded, push.ToString());
                    if (push.Succeeded)
                        lastPushed[w] = (await git.RunAsync(mine, null, null, "rev-parse", "HEAD")).Output.Trim();
                    var clone = await git.CloneAsync(Url("shared"), $"shared{n}", "rolly", token);
                    Record("git clone", clone.Succeeded && File.Exists(Path.Combine(git.WorkDirectory, $"shared{n}", "README.md")), clone.ToString());
                    Directory.Delete(Path.Combine(git.WorkDirectory, $"shared{n}"), recursive: true);
                }
            })).ToList();
            // Four API clients read, and now and then create a repository (a POST, which nginx never repeats).
            string[] reads = ["user", "user/repos", "repos/rolly/shared", "repos/rolly/shared/commits"];
            var apiWorkers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
            {
                using var http = new HttpClient { BaseAddress = new Uri(site, "api/v3/"), Timeout = TimeSpan.FromMinutes(1) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                http.DefaultRequestHeaders.UserAgent.ParseAdd("rolling-restart-tests");
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        if (n % 10 == 9)
                        {
                            using var created = await http.PostAsJsonAsync("user/repos", new { name = $"made-{w}-{n}" });
                            Record("API POST /user/repos", created.StatusCode == HttpStatusCode.Created, $"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
                        }
                        else
                        {
                            var path = reads[n % reads.Length];
                            using var response = await http.GetAsync(path);
                            Record("API GET /" + path, response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Record("API", false, e.ToString());
                    }
                    await Task.Delay(10);
                }
            })).ToList();

            int GitOperations() => operations.Count(o => o.Kind.StartsWith("git", StringComparison.Ordinal));
            // Until every kind of client is at work: some API calls and a clone and a push by each git client.
            async Task WaitForOperationsAsync(int count, int git)
            {
                var (target, gitTarget) = (operations.Count + count, GitOperations() + git);
                var deadline = DateTime.UtcNow.AddSeconds(90);
                while ((operations.Count < target || GitOperations() < gitTarget) && DateTime.UtcNow < deadline)
                    await Task.Delay(100);
            }
            await WaitForOperationsAsync(30, 9);

            var windows = new List<(TimeSpan From, TimeSpan To)>();
            for (var i = 0; i < 2; i++)
            {
                var old = nodes[i]!;
                var from = clock.Elapsed;
                var exit = await old.StopAsync(TimeSpan.FromSeconds(90));
                Assert.True(exit == 0, $"node {i + 1} exited with {exit}:\n{old.Output}");
                retired.Add(old);
                nodes[i] = null;
                nodes[i] = await ServerProcess.StartAsync(data, settings, old.BaseAddress.Port);
                // Back in rotation: nginx sends it work again (after fail_timeout), before the other node stops.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (ProxiedRequests(nodes[i]!) < 10 && DateTime.UtcNow < deadline)
                    await Task.Delay(200);
                Assert.True(ProxiedRequests(nodes[i]!) >= 10, $"nginx did not take node {i + 1} back within 60 s of its restart:\n{nginx.ErrorLog}");
                windows.Add((from, clock.Elapsed));
            }
            await WaitForOperationsAsync(30, 3);
            await stop.CancelAsync();
            await Task.WhenAll(gitWorkers.Concat(apiWorkers));

            var all = operations.ToList();
            var failed = all.Where(o => !o.Succeeded).ToList();
            var summary = string.Join(", ", all.GroupBy(o => o.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"));
            Assert.True(failed.Count == 0, $"{failed.Count} of {all.Count} operations failed ({summary}); the first:\n"
                + string.Join("\n---\n", failed.Take(5).Select(f => $"{f.Kind} at {f.At.TotalSeconds:F1} s: {f.Detail}")) + "\n--- nginx:\n" + nginx.ErrorLog);
            foreach (var (window, i) in windows.Select((w, i) => (w, i)))
            {
                var during = all.Count(o => o.At >= window.From && o.At <= window.To);
                var gitDuring = all.Count(o => o.At >= window.From && o.At <= window.To && o.Kind.StartsWith("git", StringComparison.Ordinal));
                Assert.True(during >= 50 && gitDuring >= 5, $"only {during} operations ({gitDuring} git) ran while node {i + 1} restarted");
                output.WriteLine($"node {i + 1}: restarted and back in rotation in {(window.To - window.From).TotalSeconds:F1} s, {during} operations meanwhile ({gitDuring} git), none failed");
            }
            // The stopping nodes drained: they told nginx with a 503 to a GET, and served what came meanwhile.
            foreach (var (old, i) in retired.Select((n, i) => (n, i)))
            {
                Assert.Contains("draining for 5 s", old.Output, StringComparison.Ordinal);
                output.WriteLine($"node {i + 1} before its restart: {ProxiedRequests(old)} requests, {old.Output.Split('\n').Count(l => l.Contains(" answered 503 ", StringComparison.Ordinal))} of them answered 503 while draining");
            }
            output.WriteLine($"{all.Count} operations in {clock.Elapsed.TotalSeconds:F0} s, none failed: {summary}");

            // Nothing was lost or damaged: each repository's main is its last push, and git fsck passes.
            using var check = new GitClient();
            for (var w = 0; w < 3; w++)
            {
                var remote = await check.RunAsync(null, "rolly", token, "ls-remote", Url($"own{w}"), "refs/heads/main");
                Assert.True(remote.Succeeded, remote.ToString());
                Assert.StartsWith(lastPushed[w]!, remote.Output, StringComparison.Ordinal);
            }
            foreach (var bare in Directory.EnumerateDirectories(Path.Combine(data, "repositories"), "*.git", SearchOption.AllDirectories))
            {
                var fsck = await check.RunAsync(bare, null, null, "fsck", "--strict", "--no-progress");
                Assert.True(fsck.Succeeded, $"git fsck --strict fails on {bare}:\n{fsck}");
            }
        }
        finally
        {
            await stop.CancelAsync();
            if (nginx is not null)
                await nginx.DisposeAsync();
            foreach (var node in nodes.Concat(retired))
            {
                if (node is not null)
                    await node.DisposeAsync();
            }
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }
}
