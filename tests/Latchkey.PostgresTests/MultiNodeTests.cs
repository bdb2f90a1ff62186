using System.Net;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// Production mode: two server processes on different loopback ports share one PostgreSQL database
/// and one data directory (repositories, token key), as two nodes behind a load balancer do.
/// Whatever one node does, the other sees at its next request.
/// </summary>
public sealed class MultiNodeTests : IAsyncLifetime
{
    private const string Password = "multi node test passphrase";
    private string _data = "";
    private ServerProcess? _one;
    private ServerProcess? _two;

    private ServerProcess One => _one!;
    private ServerProcess Two => _two!;

    public async Task InitializeAsync()
    {
        _data = Directory.CreateTempSubdirectory("latchkey-nodes-").FullName;
        var settings = await TestDatabase.SettingsForAsync(_data);
        settings["Security:FailureLimit"] = "4";
        settings["Api:AnonymousLimit"] = "6";
        settings["Api:RevocationReportLimit"] = "4";
        _one = await ServerProcess.StartAsync(_data, settings);
        _two = await ServerProcess.StartAsync(_data, settings);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in new[] { _one, _two })
        {
            if (node is not null)
                await node.DisposeAsync();
        }
        await TestDatabase.DropAsync(_data);
        Directory.Delete(_data, recursive: true);
    }

    /// <summary>What a node logged about failures, for assertion messages.</summary>
    private static string Failures(ServerProcess node) =>
        string.Join('\n', node.Output.Split('\n').Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("exception", StringComparison.OrdinalIgnoreCase) || l.StartsWith("   at ", StringComparison.Ordinal)).Take(60));

    private static HttpClient Api(ServerProcess node, string token)
    {
        var http = new HttpClient { BaseAddress = node.BaseAddress };
        http.DefaultRequestHeaders.Add("Authorization", "Bearer " + token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("multi-node-test");
        return http;
    }

    [Fact]
    public async Task A_session_a_token_and_a_revocation_made_on_one_node_hold_on_the_other()
    {
        // Sign in on node 1.
        using var onOne = new WebSession(One.BaseAddress);
        await onOne.SignUpAsync("alice", Password);
        await onOne.CreateRepositoryAsync("shared", isPrivate: true, addReadme: true);

        // Node 1's cookies on node 2: the session and the antiforgery token of a form node 1 served.
        using var onTwo = new WebSession(Two.BaseAddress, onOne.Cookies);
        var (status, form) = await onOne.GetAsync("/settings/tokens/new");
        Assert.Equal(HttpStatusCode.OK, status);
        using (var created = await onTwo.Http.PostAsync("settings/tokens/new", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Note"] = "made on node 2",
            ["Input.Expiration"] = "30",
            ["Input.Scopes"] = "repo",
            ["__RequestVerificationToken"] = WebSession.AntiforgeryTokenIn(form),
        })))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Redirect, $"Token creation on node 2 answered {created.StatusCode}:\n{await created.Content.ReadAsStringAsync()}");
        }
        var (_, tokens) = await onTwo.GetAsync("/settings/tokens");
        var shown = WebSession.NewTokenBox().Match(tokens);
        Assert.True(shown.Success, "Node 2 did not show the new token:\n" + tokens);
        var token = shown.Groups[1].Value;
        // Node 1 lists the token node 2 made.
        Assert.Contains("made on node 2", (await onOne.GetAsync("/settings/tokens")).Body, StringComparison.Ordinal);

        // Clone through node 1, push through node 2.
        using var git = new GitClient();
        var clone = await git.CloneAsync(One.Url("/alice/shared.git"), "shared", "alice", token);
        Assert.True(clone.Succeeded, clone.ToString());
        await git.CommitFileAsync("shared", "from-two.txt", "pushed through node 2\n", "Push through node 2");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "shared"), Two.Url("/alice/shared.git"), "alice", token);
        Assert.True(push.Succeeded, push.ToString());
        using (var api = Api(One, token))
        using (var file = await api.GetAsync("api/v3/repos/alice/shared/contents/from-two.txt"))
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);

        // Revoke on node 1: node 2 refuses the token at its very next request.
        using (var anonymous = new HttpClient { BaseAddress = One.BaseAddress })
        using (var revoked = await anonymous.PostAsync("api/v3/credentials/revoke", new StringContent($"{{\"credentials\":[\"{token}\"]}}", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Accepted, revoked.StatusCode);
        using (var api = Api(Two, token))
        using (var refused = await api.GetAsync("api/v3/user"))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var fetch = await git.RunAsync(Path.Combine(git.WorkDirectory, "shared"), "alice", token, "fetch", Two.Url("/alice/shared.git"));
        Assert.False(fetch.Succeeded, "node 2 served a revoked token:\n" + fetch);

        // Sign out on node 2 ends the session on node 1 too, even for a copy of the cookie kept from before.
        using var stale = new WebSession(One.BaseAddress);
        foreach (Cookie cookie in onOne.Cookies.GetAllCookies())
            stale.Cookies.Add(cookie);
        Assert.Equal(HttpStatusCode.OK, (await stale.GetAsync("/settings/tokens")).Status);
        var (_, page) = await onTwo.GetAsync("/settings/tokens");
        using (var signedOut = await onTwo.Http.PostAsync("logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = WebSession.AntiforgeryTokenIn(page) })))
            Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        var (after, _) = await stale.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.Redirect, after);
    }

    [Fact]
    public async Task A_token_policy_set_on_one_node_holds_on_the_other_at_once()
    {
        using var root = new WebSession(One.BaseAddress);
        await root.SignUpAsync("root", Password);
        var adminToken = await root.CreateTokenAsync("policy", ["site_admin"]);
        using var carol = new WebSession(Two.BaseAddress);
        await carol.SignUpAsync("carol", Password);
        await carol.CreateRepositoryAsync("notes", isPrivate: true, addReadme: true);
        var classic = await carol.CreateTokenAsync("laptop", ["repo"]);
        // Node 2 has the token cached (and the policy read) before the change.
        using (var warm = Api(Two, classic))
            Assert.Equal(HttpStatusCode.OK, (await warm.GetAsync("api/v3/user")).StatusCode);

        using (var admin = Api(One, adminToken))
        using (var put = await admin.PutAsync("api/v3/admin/token-policies", new StringContent(
            "{\"classic\":{\"allowed\":false},\"fine_grained\":{\"max_lifetime_days\":7}}", Encoding.UTF8, "application/json")))
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"PUT token-policies on node 1: {put.StatusCode}\n{await put.Content.ReadAsStringAsync()}\n{Failures(One)}");

        using (var refused = Api(Two, classic))
        using (var answer = await refused.GetAsync("api/v3/user"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
            Assert.Contains("Classic personal access tokens are disabled", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var git = new GitClient())
        {
            var clone = await git.CloneAsync(Two.Url("/carol/notes.git"), "notes", "carol", classic);
            Assert.False(clone.Succeeded, "node 2 let a classic token clone after node 1 disabled classic tokens");
            Assert.Contains("Classic personal access tokens are disabled", clone.Error, StringComparison.Ordinal);
        }
        var (_, form) = await carol.GetAsync("/settings/tokens/new");
        Assert.Contains("data-classic-disabled", form, StringComparison.Ordinal);
        using var tooLong = await carol.PostFormAsync("/settings/personal-access-tokens/new",
            [new("Input.Name", "month"), new("Input.Expiration", "30"), new("Input.RepositoryAccess", "all")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Contains("Tokens on this server must expire within 7 days.", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brute_force_and_rate_limit_counts_are_shared_by_the_nodes()
    {
        async Task<HttpStatusCode> CallAsync(ServerProcess node, IPAddress from, string? credential)
        {
            using var http = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = node.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/users/nobody");
            request.Headers.UserAgent.ParseAdd("multi-node-test");
            if (credential is not null)
                request.Headers.Add("Authorization", "Bearer " + credential);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        // Four bad tokens, two on each node, reach the limit of four: both nodes refuse the fifth.
        var guesser = IPAddress.Parse("127.0.0.5");
        foreach (var node in new[] { One, Two, One, Two })
            Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(node, guesser, "not-a-token"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(One, guesser, "not-a-token"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(Two, guesser, "not-a-token"));

        // Six anonymous calls an hour, spread over both nodes; the seventh is over the limit on either.
        var reader = IPAddress.Parse("127.0.0.6");
        foreach (var node in new[] { One, Two, One, Two, One, Two })
            Assert.Equal(HttpStatusCode.NotFound, await CallAsync(node, reader, null));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(One, reader, null));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(Two, reader, null));
    }

    [Fact]
    public async Task The_leak_report_limit_is_shared_by_the_nodes()
    {
        async Task<HttpResponseMessage> ReportAsync(ServerProcess node)
        {
            using var http = new HttpClient(WebSession.Handler(null, IPAddress.Parse("127.0.0.8"))) { BaseAddress = node.BaseAddress };
            using var body = new StringContent("{\"credentials\": [\"x\"]}", System.Text.Encoding.UTF8, "application/json");
            return await http.PostAsync("api/v3/credentials/revoke", body);
        }

        // Four reports an hour from one address, two through each node; the fifth is refused on either.
        foreach (var node in new[] { One, Two, One, Two })
        {
            using var accepted = await ReportAsync(node);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
        foreach (var node in new[] { One, Two })
        {
            using var refused = await ReportAsync(node);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(50), refused.Headers.RetryAfter?.ToString());
            Assert.Contains("rate limit exceeded for credential revocation", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Twenty_concurrent_pushes_to_one_repository_through_both_nodes_all_land()
    {
        using var web = new WebSession(One.BaseAddress);
        await web.SignUpAsync("bob", Password);
        await web.CreateRepositoryAsync("busy", addReadme: true);
        var token = await web.CreateTokenAsync("pushes", ["repo"]);

        using var git = new GitClient();
        var clones = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var name = $"clone{i}";
            var clone = await git.CloneAsync((i % 2 == 0 ? One : Two).Url("/bob/busy.git"), name, "bob", token);
            Assert.True(clone.Succeeded, clone.ToString());
            var checkout = await git.RunAsync(Path.Combine(git.WorkDirectory, name), null, null, "checkout", "-q", "-b", $"branch-{i}");
            Assert.True(checkout.Succeeded, checkout.ToString());
            await git.CommitFileAsync(name, $"file-{i}.txt", $"change {i}\n", $"Change {i}");
            return name;
        }));

        var pushes = await Task.WhenAll(clones.Select((name, i) =>
            git.PushAsync(Path.Combine(git.WorkDirectory, name), (i % 2 == 0 ? Two : One).Url("/bob/busy.git"), "bob", token, $"branch-{i}")));
        for (var i = 0; i < pushes.Length; i++)
            Assert.True(pushes[i].Succeeded, $"push {i}: {pushes[i]}\n--- node 1\n{Failures(One)}\n--- node 2\n{Failures(Two)}");

        // Every branch is there, at the commit its clone made, seen from either node.
        var heads = await git.RunAsync(null, "bob", token, "ls-remote", "--heads", Two.Url("/bob/busy.git"));
        Assert.True(heads.Succeeded, heads.ToString());
        for (var i = 0; i < 20; i++)
        {
            var local = await git.RunAsync(Path.Combine(git.WorkDirectory, clones[i]), null, null, "rev-parse", "HEAD");
            Assert.Contains($"{local.Output.Trim()}\trefs/heads/branch-{i}", heads.Output, StringComparison.Ordinal);
        }
        // And the shared repository is sound after the concurrent updates.
        var bare = Assert.Single(Directory.EnumerateDirectories(Path.Combine(_data, "repositories"), "*.git", SearchOption.AllDirectories));
        var fsck = await git.RunAsync(null, null, null, "--git-dir", bare, "fsck", "--no-progress");
        Assert.True(fsck.Succeeded, fsck.ToString());
    }

    [ClientFact("git-lfs", "git lfs version")]
    public async Task Git_lfs_objects_pushed_through_one_node_are_cloned_through_the_other_and_locks_hold_on_both()
    {
        using var web = new WebSession(One.BaseAddress);
        await web.SignUpAsync("lena", Password);
        await web.CreateRepositoryAsync("media", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("lfs", ["repo"]);

        using var git = new GitClient();
        var oid = await Lfs.PushOneAsync(git, One.Url("/lena/media.git"), "lena", token, "media", "video.bin", 3 * 1024 * 1024, seed: 50);
        using var elsewhere = new GitClient();
        await Lfs.InstallAsync(elsewhere);
        var clone = await elsewhere.CloneAsync(Two.Url("/lena/media.git"), "copy", "lena", token);
        Assert.True(clone.Succeeded, clone + $"\n--- node 2\n{Failures(Two)}");
        Assert.Equal(oid, Lfs.Sha256(Path.Combine(elsewhere.WorkDirectory, "copy", "video.bin")));

        // A batch answer from node 1, its download link followed on node 2 (the link's keys are the site's).
        using var http = new HttpClient();
        var batch = await Lfs.BatchAsync(http, One.Url("/lena/media.git/info/lfs/objects/batch"), "lena", token, "download", oid, 3 * 1024 * 1024);
        var download = batch.Body.GetProperty("objects")[0].GetProperty("actions").GetProperty("download");
        var href = download.GetProperty("href").GetString()!.Replace(One.BaseAddress.ToString().TrimEnd('/'), Two.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal);
        using var get = new HttpRequestMessage(HttpMethod.Get, href);
        get.Headers.TryAddWithoutValidation("Authorization", download.GetProperty("header").GetProperty("Authorization").GetString());
        using var fromTwo = await http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, fromTwo.StatusCode);
        Assert.Equal(3L * 1024 * 1024, (await fromTwo.Content.ReadAsByteArrayAsync()).Length);

        var work = Path.Combine(git.WorkDirectory, "media");
        var locked = await git.RunAsync(work, "lena", token, "lfs", "lock", "video.bin");
        Assert.True(locked.Succeeded, locked.ToString());
        var listed = await elsewhere.RunAsync(Path.Combine(elsewhere.WorkDirectory, "copy"), "lena", token, "lfs", "locks");
        Assert.Contains("video.bin", listed.Output, StringComparison.Ordinal);
    }
}
