using System.Net;
using System.Text.Json;
using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.Repositories;
using Latchkey.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// Repository lists page in the database: with thousands of repositories a page costs the same few
/// queries, and the rows query is limited to the page, whichever page is asked for.
/// </summary>
public sealed class RepositoryListPagingTests
{
    [Fact]
    public async Task A_page_of_a_long_repository_list_reads_one_page_of_rows()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var alice = server.NewBrowserSession())
            await alice.SignUpAsync("alice", "paging test passphrase");
        const int Count = 3000;
        using (var scope = server.Services.CreateScope())
        {
            var owner = await scope.ServiceProvider.GetRequiredService<UserManager<User>>().FindByNameAsync("alice");
            var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
            var now = server.Clock.GetUtcNow().UtcDateTime;
            for (var i = 0; i < Count; i++)
            {
                var name = $"repo-{i:D4}";
                db.Repositories.Add(new Repository { OwnerId = owner!.Id, Name = name, NormalizedName = Repository.Normalize(name), IsPrivate = i % 3 == 0, CreatedAt = now.AddSeconds(i) });
            }
            await db.SaveChangesAsync();
        }
        var token = await server.IssueClassicAsync("alice", ["repo"]);
        var publicOnly = await server.IssueClassicAsync("alice", []);
        // A token's first use from a network records the network once (new-network alerts); what is
        // measured below is a page, so that first use comes before.
        Assert.Equal(HttpStatusCode.OK, (await PageAsync(server, token, "api/v3/user/repos?per_page=1")).Status);

        foreach (var page in new[] { 1, 7, 30 })
        {
            var (status, names, link, statements) = await PageAsync(server, token, $"api/v3/user/repos?per_page=100&page={page}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(Enumerable.Range((page - 1) * 100, 100).Select(i => $"repo-{i:D4}"), names);
            Assert.Contains(page < 30 ? "page=30>; rel=\"last\"" : "page=29>; rel=\"prev\"", link, StringComparison.Ordinal);
            // The credential, the count and the page: never one query per repository, never every row.
            Assert.True(statements.Count <= 8, $"Page {page} ran {statements.Count} statements:\n{string.Join("\n---\n", statements)}");
            Assert.Contains(statements, s => s.Contains("LIMIT", StringComparison.OrdinalIgnoreCase) && s.Contains("Repositories", StringComparison.Ordinal));
        }

        // A token without repo sees the public two thirds, paged the same way, newest first when asked.
        var (publicStatus, publicNames, publicLink, _) = await PageAsync(server, publicOnly, "api/v3/user/repos?per_page=50&page=2&sort=created&direction=desc");
        Assert.Equal(HttpStatusCode.OK, publicStatus);
        var expected = Enumerable.Range(0, Count).Reverse().Where(i => i % 3 != 0).Skip(50).Take(50).Select(i => $"repo-{i:D4}");
        Assert.Equal(expected, publicNames);
        Assert.Contains("page=40>; rel=\"last\"", publicLink, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, List<string> Names, string Link, List<string> Statements)> PageAsync(LatchkeyServer server, string token, string path)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + token);
        var before = server.AllLogs.Length;
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        var logged = server.AllLogs[before..];
        var statements = logged.Split("Executed DbCommand", StringSplitOptions.None).Skip(1).ToList();
        var names = response.StatusCode == HttpStatusCode.OK
            ? JsonDocument.Parse(body).RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToList()
            : [];
        var link = response.Headers.TryGetValues("Link", out var values) ? string.Join(",", values) : "";
        return (response.StatusCode, names, link, statements);
    }
}
