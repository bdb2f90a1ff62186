using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Latchkey.Repositories;
using Latchkey.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Latchkey.Tests;

/// <summary>
/// Load without 5xx (issue #19), sized for CI: 50 clones, 20 pushes to 20 repositories and 10 racing
/// pushes to one branch at once; 64 connections on the API while tokens are created through the form
/// and their "last used" is written. Every answer is counted; none may be a 5xx (the server's own
/// record of its answers is checked too), a racing push is rejected as git rejects a stale push and
/// never lost, and every repository passes `git fsck --strict` afterwards.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    private const string Password = "load test passphrase";

    /// <summary>What git prints when a push lost the race for a branch: refused, and nothing written.</summary>
    private static readonly string[] RaceRejections = ["fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref", "incorrect old value"];

    private static HttpClient Api(LatchkeyServer server, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.BaseAddress, "api/v3/"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("load-tests");
        return http;
    }

    private static async Task<string> ServerPathAsync(LatchkeyServer server, string owner, string name)
    {
        using var scope = server.Services.CreateScope();
        var repo = await scope.ServiceProvider.GetRequiredService<RepositoryService>().FindAsync(owner, name, CancellationToken.None);
        Assert.NotNull(repo);
        return scope.ServiceProvider.GetRequiredService<RepositoryStore>().PathOf(repo);
    }

    private static async Task AssertFsckCleanAsync(GitClient git, string bare)
    {
        var fsck = await git.RunAsync(bare, null, null, "fsck", "--strict", "--no-progress");
        Assert.True(fsck.Succeeded, $"git fsck --strict fails on {bare}:\n{fsck}");
        Assert.Empty(Directory.GetDirectories(Path.Combine(bare, "objects"), "tmp_objdir-*"));
    }

    /// <summary>The server's log lines about git's transport processes: why a clone failed, when one does.</summary>
    private static string GitWarnings(LatchkeyServer server) =>
        string.Join('\n', server.AllLogs.Split('\n').Where(line => line.Contains("upload-pack", StringComparison.OrdinalIgnoreCase)
            || line.Contains("pack-objects", StringComparison.OrdinalIgnoreCase) || line.Contains("receive-pack", StringComparison.OrdinalIgnoreCase)).Take(40));

    private static void AssertNoServerErrors(LatchkeyServer server)
    {
        Assert.True(server.FiveHundreds.Count == 0, "The server answered 5xx:\n" + string.Join('\n', server.FiveHundreds.Take(20)));
        var logs = server.AllLogs;
        Assert.DoesNotContain("database is locked", logs, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SQLITE_BUSY", logs, StringComparison.Ordinal);
    }

    /// <summary>
    /// Bad tokens from 127.0.0.1 until the address is throttled: every client below comes from there
    /// too, and a valid credential must be accepted whatever its address did before.
    /// </summary>
    private static async Task ThrottleLoopbackAsync(LatchkeyServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var last = HttpStatusCode.OK;
        for (var i = 0; i < 15; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Latchkey.Tokens.TokenFormat.Generate(Latchkey.Tokens.TokenKind.Classic));
            request.Headers.UserAgent.ParseAdd("load-tests");
            using var response = await http.SendAsync(request);
            last = response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, last);
    }

    [Fact]
    public async Task Fifty_clones_and_thirty_pushes_at_once_answer_no_5xx_lose_nothing_and_leave_clean_repositories()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("loader", Password);
        var token = await web.CreateTokenAsync("load", ["repo"]);
        using var api = Api(server, token);
        foreach (var name in Enumerable.Range(0, 20).Select(i => $"target{i}").Prepend("race").Prepend("source"))
        {
            using var created = await api.PostAsJsonAsync("user/repos", new { name, @private = true });
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST /user/repos {name}: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }
        string Url(string name) => server.Url($"/loader/{name}.git");

        using var git = new GitClient { Timeout = TimeSpan.FromMinutes(5) };
        // The repository everyone clones: a few commits and files, a few hundred kilobytes.
        var source = await git.NewLocalRepositoryAsync("source");
        for (var i = 0; i < 5; i++)
            await git.CommitFileAsync("source", $"file{i}.txt", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(40 * 1024)), $"File {i}");
        var seeded = await git.PushAsync(source, Url("source"), "loader", token);
        Assert.True(seeded.Succeeded, seeded.ToString());
        var race = await git.NewLocalRepositoryAsync("race-base");
        var base_ = (await git.RunAsync(race, null, null, "rev-parse", "HEAD")).Output.Trim();
        var raceSeeded = await git.PushAsync(race, Url("race"), "loader", token);
        Assert.True(raceSeeded.Succeeded, raceSeeded.ToString());

        // Ten clones of "race", each with a commit of its own on main; twenty repositories to push to.
        var racers = new List<(string Directory, string Commit)>();
        for (var i = 0; i < 10; i++)
        {
            var clone = await git.CloneAsync(Url("race"), $"racer{i}", "loader", token);
            Assert.True(clone.Succeeded, clone.ToString());
            await git.CommitFileAsync($"racer{i}", $"racer{i}.txt", $"racer {i}\n", $"Racer {i}");
            racers.Add((Path.Combine(git.WorkDirectory, $"racer{i}"), (await git.RunAsync(Path.Combine(git.WorkDirectory, $"racer{i}"), null, null, "rev-parse", "HEAD")).Output.Trim()));
        }
        var pushers = new List<(string Directory, string Commit)>();
        for (var i = 0; i < 20; i++)
        {
            var local = await git.NewLocalRepositoryAsync($"pusher{i}");
            await git.CommitFileAsync($"pusher{i}", "data.txt", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8 * 1024)), "Data");
            pushers.Add((local, (await git.RunAsync(local, null, null, "rev-parse", "HEAD")).Output.Trim()));
        }

        await ThrottleLoopbackAsync(server);
        var watch = Stopwatch.StartNew();
        var clones = Enumerable.Range(0, 50).Select(i => i % 2 == 0
            ? git.RunAsync(null, "loader", token, "clone", "--bare", Url("source"), $"clone{i}.git")
            : git.CloneAsync(Url("source"), $"clone{i}", "loader", token)).ToList();
        var pushes = pushers.Select((p, i) => git.PushAsync(p.Directory, Url($"target{i}"), "loader", token)).ToList();
        var racing = racers.Select(r => git.PushAsync(r.Directory, Url("race"), "loader", token)).ToList();
        await Task.WhenAll(clones.Concat(pushes).Concat(racing));
        var burst = watch.Elapsed;

        var failedClones = clones.Select(c => c.Result).Where(r => !r.Succeeded).ToList();
        Assert.True(failedClones.Count == 0, $"{failedClones.Count} of 50 clones failed, the first:\n{failedClones.FirstOrDefault()}\nWhat the server said of git:\n{GitWarnings(server)}");
        for (var i = 0; i < 50; i++)
        {
            var clone = Path.Combine(git.WorkDirectory, i % 2 == 0 ? $"clone{i}.git" : $"clone{i}");
            var head = await git.RunAsync(clone, null, null, "rev-parse", "refs/heads/main");
            Assert.Equal((await git.RunAsync(source, null, null, "rev-parse", "HEAD")).Output.Trim(), head.Output.Trim());
        }
        var failedPushes = pushes.Select(p => p.Result).Where(r => !r.Succeeded).ToList();
        Assert.True(failedPushes.Count == 0, $"{failedPushes.Count} of 20 pushes to their own repositories failed, the first:\n{failedPushes.FirstOrDefault()}");

        // The race: all ten started from the same commit, so exactly one lands and nine are refused as stale.
        var raceRuns = racing.Select(r => r.Result).ToList();
        var winners = raceRuns.Select((run, i) => (run, i)).Where(x => x.run.Succeeded).Select(x => x.i).ToList();
        var winner = Assert.Single(winners);
        foreach (var lost in raceRuns.Where(r => !r.Succeeded))
        {
            Assert.True(RaceRejections.Any(words => lost.Error.Contains(words, StringComparison.Ordinal)), "A racing push failed otherwise than as stale:\n" + lost);
            Assert.DoesNotContain("HTTP 5", lost.Error, StringComparison.Ordinal);
        }
        var racePath = await ServerPathAsync(server, "loader", "race");
        Assert.Equal(racers[winner].Commit, (await git.RunAsync(racePath, null, null, "rev-parse", "refs/heads/main")).Output.Trim());

        // The losers do what a person does (pull --rebase, push again), all at once, until every commit is in.
        var attempts = 0;
        var rounds = await Task.WhenAll(racers.Where((_, i) => i != winner).Select(async r =>
        {
            for (var attempt = 0; attempt < 30; attempt++)
            {
                Interlocked.Increment(ref attempts);
                var pull = await git.RunAsync(r.Directory, "loader", token, "pull", "--rebase", "--quiet", Url("race"), "main");
                Assert.True(pull.Succeeded, pull.ToString());
                var push = await git.PushAsync(r.Directory, Url("race"), "loader", token);
                if (push.Succeeded)
                    return attempt + 1;
                Assert.True(RaceRejections.Any(words => push.Error.Contains(words, StringComparison.Ordinal)), "A retried push failed otherwise than as stale:\n" + push);
            }
            Assert.Fail("A push did not land in 30 attempts.");
            return 0;
        }));
        var log = await git.RunAsync(racePath, null, null, "log", "--format=%s", "refs/heads/main");
        for (var i = 0; i < 10; i++)
            Assert.Contains($"Racer {i}", log.Output, StringComparison.Ordinal);
        Assert.Contains(base_, (await git.RunAsync(racePath, null, null, "rev-list", "refs/heads/main")).Output, StringComparison.Ordinal);

        foreach (var (p, i) in pushers.Select((p, i) => (p, i)))
        {
            var path = await ServerPathAsync(server, "loader", $"target{i}");
            Assert.Equal(p.Commit, (await git.RunAsync(path, null, null, "rev-parse", "refs/heads/main")).Output.Trim());
            await AssertFsckCleanAsync(git, path);
        }
        await AssertFsckCleanAsync(git, racePath);
        await AssertFsckCleanAsync(git, await ServerPathAsync(server, "loader", "source"));
        AssertNoServerErrors(server);
        output.WriteLine($"50 clones, 20 pushes and 10 racing pushes in {burst.TotalSeconds:F1} s; the 9 losers landed after {attempts} more pushes (most for one: {rounds.Max()}); all in {watch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Sixty_four_connections_on_the_api_while_tokens_are_created_and_used_answer_no_5xx()
    {
        // The hourly API limit has tests of its own; here every answer must be a 200.
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Api:UserLimit"] = "10000000" });
        using (var web = server.NewBrowserSession())
        {
            await web.SignUpAsync("hammer", Password);
            await web.CreateRepositoryAsync("r", isPrivate: true, addReadme: true);
        }
        var first = new List<string>();
        for (var i = 0; i < 8; i++)
            first.Add(await server.IssueClassicAsync("hammer", ["repo", "user"]));
        var tokens = new ConcurrentQueue<string>(first);
        await ThrottleLoopbackAsync(server);

        var statuses = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        void Count(string what, HttpStatusCode status, string body)
        {
            statuses.AddOrUpdate($"{what} {(int)status}", 1, (_, n) => n + 1);
            if (status != HttpStatusCode.OK)
                failures.Enqueue($"{what}: {(int)status} {body}");
        }

        using var stop = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        // Past the coalescing minute now and then, so that requests race to write "last used".
        var clock = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                server.Clock.Advance(Latchkey.Tokens.TokenVerifier.LastUsedResolution + TimeSpan.FromSeconds(1));
                await Task.Delay(500);
            }
        });
        // Eight people at once create tokens through the form (each in a session of their own) and use each at once.
        var created = 0;
        var creators = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            using var web = server.NewBrowserSession();
            await web.SignInAsync("hammer", Password);
            for (var i = 0; i < 4; i++)
            {
                var fresh = await web.CreateTokenAsync($"load {c}-{i}", ["repo", "user"]);
                Interlocked.Increment(ref created);
                tokens.Enqueue(fresh);
                using var api = Api(server, fresh);
                using var response = await api.GetAsync("user/repos");
                Count("first use of a new token", response.StatusCode, await response.Content.ReadAsStringAsync());
            }
        })).ToList();
        string[] paths = ["user", "user/repos", "repos/hammer/r"];
        var requests = 0;
        var workers = Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            // One connection each: a client of its own per worker.
            var mine = first[w % first.Count];
            using var api = Api(server, mine);
            for (var i = 0; i < 60; i++)
            {
                var path = paths[(w + i) % paths.Length];
                using var response = await api.GetAsync(path);
                Count("GET /api/v3/" + path, response.StatusCode, await response.Content.ReadAsStringAsync());
                Interlocked.Increment(ref requests);
                // Now and then with a token made during the run.
                if (i % 10 == 9 && tokens.Count > 8)
                {
                    using var other = Api(server, tokens.ElementAt(Random.Shared.Next(tokens.Count)));
                    using var again = await other.GetAsync("user");
                    Count("GET /api/v3/user (another token)", again.StatusCode, await again.Content.ReadAsStringAsync());
                    Interlocked.Increment(ref requests);
                }
            }
        })).ToList();
        await Task.WhenAll(workers.Concat(creators));
        var elapsed = watch.Elapsed;
        await stop.CancelAsync();
        await clock;

        Assert.True(failures.IsEmpty, $"{failures.Count} requests were not answered 200, the first:\n" + string.Join('\n', failures.Take(10)));
        Assert.Equal(32, created);
        Assert.True(requests >= 64 * 60, $"only {requests} API requests were made");
        AssertNoServerErrors(server);

        // Every token was used and its use written, those made during the run included.
        await using var connection = await TestDatabase.OpenAsync(server.DataDirectory);
        await using var unused = connection.CreateCommand();
        unused.CommandText = "SELECT COUNT(*) FROM \"PersonalAccessTokens\" WHERE \"LastUsedAt\" IS NULL";
        Assert.Equal(0L, Convert.ToInt64(await unused.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"{requests} API requests on 64 connections and {created} tokens made through the form in {elapsed.TotalSeconds:F1} s ({requests / elapsed.TotalSeconds:F0}/s): "
            + string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} ×{s.Value}")));
    }
}
