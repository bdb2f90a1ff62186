using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.Accounts;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// One token used by many requests at once, over git and the API, while its note and scopes change
/// and its "last used" is written: every request is answered as the token stood at some moment
/// (never a mix of two), and none fails. The credential cache hands out snapshots, not shared entities.
/// </summary>
public sealed class TokenConcurrencyTests
{
    [Fact]
    public async Task One_token_hammered_over_git_and_the_api_while_it_changes()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var alice = server.NewBrowserSession())
        {
            await alice.SignUpAsync("alice", "concurrency test passphrase");
            await alice.CreateRepositoryAsync("priv", isPrivate: true, addReadme: true);
        }
        var token = await server.IssueClassicAsync("alice", ["repo"]);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + token)));
        var tokenId = JsonDocument.Parse(await http.GetStringAsync("api/v3/user/token")).RootElement.GetProperty("id").GetInt64();

        using var stop = new CancellationTokenSource();
        var changes = 0;
        var writer = Task.Run(async () =>
        {
            using var scope = server.Services.CreateScope();
            var issuer = scope.ServiceProvider.GetRequiredService<TokenIssuer>();
            var owner = await scope.ServiceProvider.GetRequiredService<UserManager<User>>().FindByNameAsync("alice");
            while (!stop.IsCancellationRequested)
            {
                // Two states only: scopes and note change together, so a torn read would show.
                var wide = changes % 2 == 0;
                var error = await issuer.UpdateAsync(owner!, tokenId, wide ? "wide" : "narrow", wide ? ["repo", "user"] : ["repo"], CancellationToken.None);
                Assert.Null(error);
                // Past the coalescing minute, so that requests race to write "last used".
                server.Clock.Advance(TimeSpan.FromSeconds(61));
                changes++;
                await Task.Delay(5);
            }
        });

        var failures = new ConcurrentQueue<string>();
        var scopesSeen = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancel) =>
        {
            if (i % 2 == 0)
            {
                using var response = await http.GetAsync("api/v3/user", cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                var scopes = response.Headers.TryGetValues("X-OAuth-Scopes", out var values) ? string.Join(",", values) : "(none)";
                scopesSeen.AddOrUpdate(scopes, 1, (_, n) => n + 1);
                if (response.StatusCode != HttpStatusCode.OK || scopes is not ("repo" or "repo, user"))
                    failures.Enqueue($"GET /api/v3/user: {(int)response.StatusCode} scopes '{scopes}' {body}");
            }
            else
            {
                using var response = await http.GetAsync("alice/priv.git/info/refs?service=git-upload-pack", cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "application/x-git-upload-pack-advertisement")
                    failures.Enqueue($"git info/refs: {(int)response.StatusCode} {body}");
            }
        });
        await stop.CancelAsync();
        await writer;

        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(20)));
        Assert.True(changes > 3, $"The token changed only {changes} times while it was used.");
        Assert.Empty(server.FiveHundreds);
        // The token's last use was written (by one of the racing requests, not lost).
        using (var scope = server.Services.CreateScope())
        {
            var stored = await scope.ServiceProvider.GetRequiredService<TokenIssuer>().FindAsync(
                (await scope.ServiceProvider.GetRequiredService<UserManager<User>>().FindByNameAsync("alice"))!.Id, tokenId, CancellationToken.None);
            Assert.NotNull(stored!.LastUsedAt);
        }
    }
}
