using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Latchkey.Data;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Latchkey.Tests;

/// <summary>
/// The least-privilege advisor (issue #18): what a token exercised over 90 days against what it
/// holds, from the token itself, for a site administrator, and on the token's page, where "Narrow to
/// what it used" edits the token in place. Usage is gathered in memory and written in batches.
/// </summary>
public sealed class TokenUsageTests
{
    private const string Password = "least privilege passphrase";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ApiAsync(LatchkeyServer server, HttpMethod method, string path, string token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, server.Url("/api/v3/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("token-usage-tests");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static List<string?> Strings(JsonElement element, string part, string which) =>
        element.GetProperty(part).GetProperty(which).EnumerateArray().Select(e => e.GetString()).ToList();

    private static Dictionary<string, string?> Levels(JsonElement element, string which) =>
        element.GetProperty("permissions").GetProperty(which).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());

    private static async Task<int> StoredRowsAsync(LatchkeyServer server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchkeyDb>().TokenUsage.CountAsync();
    }

    private static async Task<WebSession> AliceWithThreeRepositoriesAsync(LatchkeyServer server)
    {
        var alice = server.NewBrowserSession();
        await alice.SignUpAsync("alice", Password);
        foreach (var name in new[] { "one", "two", "three" })
            await alice.CreateRepositoryAsync(name, isPrivate: true, addReadme: true);
        return alice;
    }

    [Fact]
    public async Task A_classic_token_used_only_to_clone_one_repository_shows_the_rest_unused_and_narrowing_keeps_that_clone_only()
    {
        // A long flush interval: what the server answers comes from memory, and nothing is written per request.
        var data = Directory.CreateTempSubdirectory("latchkey-usage-").FullName;
        try
        {
            var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:UsageFlushSeconds"] = "3600" }, reuseDataDirectory: data);
            using var alice = await AliceWithThreeRepositoriesAsync(server);
            var token = await alice.CreateTokenAsync("ci clone", ["repo", "delete_repo", "gist"]);

            using (var git = new GitClient())
            {
                for (var i = 0; i < 3; i++)
                    Assert.True((await git.CloneAsync(server.Url("/alice/one.git"), $"one-{i}", "alice", token)).Succeeded);
            }
            Assert.Equal(0, await StoredRowsAsync(server));

            var (status, usage) = await ApiAsync(server, HttpMethod.Get, "user/token/usage", token);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(90, usage.GetProperty("window_days").GetInt32());
            Assert.Equal(["repo"], Strings(usage, "scopes", "used"));
            Assert.Equal(["delete_repo", "gist"], Strings(usage, "scopes", "unused").Order().ToList());
            Assert.Equal(["alice/one"], Strings(usage, "repositories", "used"));
            Assert.Equal(["alice/three", "alice/two"], Strings(usage, "repositories", "unused"));

            // A site administrator sees the same of any token; alice is the first account, so the administrator.
            var (_, self) = await ApiAsync(server, HttpMethod.Get, "user/token", token);
            var id = self.GetProperty("id").GetInt64();
            var admin = await alice.CreateTokenAsync("admin", ["site_admin"]);
            var (adminStatus, adminView) = await ApiAsync(server, HttpMethod.Get, $"admin/personal-access-tokens/{id}/usage", admin);
            Assert.Equal(HttpStatusCode.OK, adminStatus);
            Assert.Equal(["alice/one"], Strings(adminView, "repositories", "used"));
            Assert.Equal(["delete_repo", "gist"], Strings(adminView, "scopes", "unused").Order().ToList());
            Assert.Equal(HttpStatusCode.NotFound, (await ApiAsync(server, HttpMethod.Get, "admin/personal-access-tokens/999999/usage", admin)).Status);
            // Without site_admin, a site administrator's token is refused; a plain user is not told the endpoint exists.
            Assert.Equal(HttpStatusCode.Forbidden, (await ApiAsync(server, HttpMethod.Get, $"admin/personal-access-tokens/{id}/usage", token)).Status);
            using var bob = server.NewBrowserSession();
            await bob.SignUpAsync("bob", Password);
            var bobs = await bob.CreateTokenAsync("bob", ["repo"]);
            Assert.Equal(HttpStatusCode.NotFound, (await ApiAsync(server, HttpMethod.Get, $"admin/personal-access-tokens/{id}/usage", bobs)).Status);

            // The token's page says it in words, and offers to narrow it, naming the change.
            var (pageStatus, page) = await alice.GetAsync($"/settings/tokens/{id}");
            Assert.Equal(HttpStatusCode.OK, pageStatus);
            Assert.Contains("data-usage-scopes-unused", page, StringComparison.Ordinal);
            Assert.Contains("<code>delete_repo</code>", page, StringComparison.Ordinal);
            Assert.Contains("Repositories never touched: 2 of 3:", page, StringComparison.Ordinal);
            var change = System.Text.RegularExpressions.Regex.Match(WebUtility.HtmlDecode(page), "<li>Scopes: ([^<]*) → repo</li>");
            Assert.True(change.Success, "the narrowing is not described:\n" + page);
            Assert.Equal(["delete_repo", "gist", "repo"], change.Groups[1].Value.Split(", ").Order().ToList());

            using (var narrowed = await alice.PostFormAsync($"/settings/tokens/{id}", [], $"/settings/tokens/{id}?handler=Narrow"))
                Assert.Equal(HttpStatusCode.Redirect, narrowed.StatusCode);
            var (_, after) = await ApiAsync(server, HttpMethod.Get, "user/token", token);
            Assert.Equal(["repo"], after.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList());

            // It still clones; deleting a repository, which it never did, is refused at once.
            using (var git = new GitClient())
                Assert.True((await git.CloneAsync(server.Url("/alice/one.git"), "after", "alice", token)).Succeeded);
            Assert.Equal(HttpStatusCode.Forbidden, (await ApiAsync(server, HttpMethod.Delete, "repos/alice/two", token)).Status);

            // Written in one batch at shutdown, and still known after a restart.
            Assert.Equal(0, await StoredRowsAsync(server));
            await server.DisposeAsync();
            await using var again = await LatchkeyServer.StartAsync(reuseDataDirectory: data);
            Assert.True(await StoredRowsAsync(again) > 0, "the usage was not written at shutdown");
            var (_, kept) = await ApiAsync(again, HttpMethod.Get, "user/token/usage", token);
            Assert.Equal(["alice/one"], Strings(kept, "repositories", "used"));
        }
        finally
        {
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_fine_grained_token_narrowed_to_its_one_clone_works_for_it_and_is_refused_elsewhere()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var alice = await AliceWithThreeRepositoriesAsync(server);
        var token = await alice.CreateFineGrainedTokenAsync("fleet", "all", permissions: new Dictionary<string, string> { ["contents"] = "write", ["administration"] = "write" });

        using (var git = new GitClient())
            Assert.True((await git.CloneAsync(server.Url("/alice/two.git"), "two", "alice", token)).Succeeded);

        // The token about itself: read on contents, nothing on administration, one repository of three.
        var (status, usage) = await ApiAsync(server, HttpMethod.Get, "user/token/usage", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("read", Levels(usage, "used")["contents"]);
        Assert.Equal(new Dictionary<string, string?> { ["administration"] = "write", ["contents"] = "write" }, Levels(usage, "unused"));
        Assert.Empty(Strings(usage, "scopes", "used"));
        Assert.Equal(["alice/two"], Strings(usage, "repositories", "used"));
        Assert.Equal(["alice/one", "alice/three"], Strings(usage, "repositories", "unused"));

        var (_, self) = await ApiAsync(server, HttpMethod.Get, "user/token", token);
        var id = self.GetProperty("id").GetInt64();
        var (pageStatus, page) = await alice.GetAsync($"/settings/personal-access-tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, pageStatus);
        Assert.Contains("Repositories never touched: 2 of 3:", page, StringComparison.Ordinal);
        Assert.Contains("Repository access: All repositories → only alice/two", WebUtility.HtmlDecode(page), StringComparison.Ordinal);

        using (var narrowed = await alice.PostFormAsync($"/settings/personal-access-tokens/{id}", [], $"/settings/personal-access-tokens/{id}?handler=Narrow"))
            Assert.Equal(HttpStatusCode.Redirect, narrowed.StatusCode);
        var (_, after) = await ApiAsync(server, HttpMethod.Get, "user/token", token);
        Assert.Equal("selected", after.GetProperty("repository_selection").GetString());
        Assert.Equal(["alice/two"], after.GetProperty("repositories").EnumerateArray().Select(r => r.GetProperty("full_name").GetString()).ToList());
        Assert.Equal("read", after.GetProperty("permissions").GetProperty("contents").GetString());
        Assert.False(after.GetProperty("permissions").TryGetProperty("administration", out _));

        using var git2 = new GitClient();
        Assert.True((await git2.CloneAsync(server.Url("/alice/two.git"), "two", "alice", token)).Succeeded, "the narrowed token lost the clone it was used for");
        Assert.False((await git2.CloneAsync(server.Url("/alice/one.git"), "one", "alice", token)).Succeeded, "the narrowed token still clones a repository it never touched");
        await git2.CommitFileAsync("two", "note.txt", "narrowed", "a push it never made");
        Assert.False((await git2.PushAsync(Path.Combine(git2.WorkDirectory, "two"), server.Url("/alice/two.git"), "alice", token)).Succeeded, "the narrowed token still pushes");

        // Nothing more to take away: the page offers no narrowing, and a POST sent anyway says so.
        var (narrowStatus, narrowPage) = await alice.GetAsync($"/settings/personal-access-tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, narrowStatus);
        Assert.DoesNotContain("data-usage-narrow", narrowPage, StringComparison.Ordinal);
        using var again = await alice.PostFormAsync($"/settings/personal-access-tokens/{id}", [], $"/settings/personal-access-tokens/{id}?handler=Narrow");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Contains("already holds only what it used", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_never_used_is_not_narrowed_and_usage_is_written_in_batches_not_per_request()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:UsageFlushSeconds"] = "3600" });
        using var alice = await AliceWithThreeRepositoriesAsync(server);
        var idle = await alice.CreateTokenAsync("idle", ["repo"]);
        var busy = await alice.CreateTokenAsync("busy", ["repo", "read:user"]);

        // The idle token asks only about its own usage (which exercises nothing).
        var (_, idleUsage) = await ApiAsync(server, HttpMethod.Get, "user/token/usage", idle);
        Assert.Empty(Strings(idleUsage, "scopes", "used"));
        Assert.Equal(["repo"], Strings(idleUsage, "scopes", "unused"));
        var (_, idleSelf) = await ApiAsync(server, HttpMethod.Get, "user/token", idle);
        var idleId = idleSelf.GetProperty("id").GetInt64();
        var (_, idlePage) = await alice.GetAsync($"/settings/tokens/{idleId}");
        Assert.Contains("This token was not used in the last 90 days.", idlePage, StringComparison.Ordinal);
        using (var refused = await alice.PostFormAsync($"/settings/tokens/{idleId}", [], $"/settings/tokens/{idleId}?handler=Narrow"))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains("nothing to narrow it to", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Fifty API requests write nothing until the flush, and then a handful of rows, one per thing used.
        for (var i = 0; i < 50; i++)
            Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, HttpMethod.Get, i % 2 == 0 ? "repos/alice/one" : "repos/alice/two", busy)).Status);
        Assert.Equal(0, await StoredRowsAsync(server));
        var flusher = server.Services.GetServices<IHostedService>().OfType<TokenUsageFlusher>().Single();
        await flusher.FlushAsync(CancellationToken.None);
        // repository:one, repository:two and scope:repo, for one day.
        Assert.Equal(3, await StoredRowsAsync(server));
        for (var i = 0; i < 20; i++)
            await ApiAsync(server, HttpMethod.Get, "repos/alice/one", busy);
        await flusher.FlushAsync(CancellationToken.None);
        Assert.Equal(3, await StoredRowsAsync(server));

        var (_, busyUsage) = await ApiAsync(server, HttpMethod.Get, "user/token/usage", busy);
        Assert.Equal(["read:user"], Strings(busyUsage, "scopes", "unused"));
        Assert.Equal(["alice/one", "alice/two"], Strings(busyUsage, "repositories", "used"));

        // Listing its private repositories is a use of repo, and of each repository listed.
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, HttpMethod.Get, "user/repos", idle)).Status);
        var (_, listed) = await ApiAsync(server, HttpMethod.Get, "user/token/usage", idle);
        Assert.Equal(["repo"], Strings(listed, "scopes", "used"));
        Assert.Equal(["alice/one", "alice/three", "alice/two"], Strings(listed, "repositories", "used"));

        // Past the window, what a token did is forgotten.
        server.Clock.Advance(TimeSpan.FromDays(91));
        await flusher.FlushAsync(CancellationToken.None);
        Assert.Equal(0, await StoredRowsAsync(server));
    }
}
