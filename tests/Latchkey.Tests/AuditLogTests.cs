using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;

namespace Latchkey.Tests;

/// <summary>
/// The site-wide security log (issue #18): GET /api/v3/admin/audit-log?phrase=… with GitHub's
/// qualifiers (hashed_token, actor, user, action, created) and Site admin → Security log with its
/// "Find a token's events" form; plain users get 404 and no answer holds a secret.
/// </summary>
public sealed class AuditLogTests
{
    private const string Password = "audit log passphrase";

    private static async Task<(HttpStatusCode Status, List<JsonElement> Entries, string Body, HttpResponseMessage Response)> SearchAsync(LatchkeyServer server, string token, string query)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.UserAgent.ParseAdd("audit-log-tests");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var response = await http.GetAsync(server.Url("/api/v3/admin/audit-log" + query));
        var body = await response.Content.ReadAsStringAsync();
        var entries = response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(body).RootElement.EnumerateArray().ToList() : [];
        return (response.StatusCode, entries, body, response);
    }

    private static string Phrase(string phrase) => "?per_page=100&phrase=" + Uri.EscapeDataString(phrase);

    [Fact]
    public async Task Administrators_search_every_accounts_log_by_token_user_action_and_date()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var root = server.NewBrowserSession();
        await root.SignUpAsync("root", Password);
        using var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password);
        await bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        var bobToken = await bob.CreateTokenAsync("laptop", ["repo"]);
        using (var git = new GitClient())
            Assert.True((await git.CloneAsync(server.Url("/bob/work.git"), "work", "bob", bobToken)).Succeeded);
        using var carol = server.NewBrowserSession();
        await carol.SignUpAsync("carol", Password);
        var carolToken = await carol.CreateTokenAsync("ci", ["read:user"]);
        var adminToken = await server.IssueClassicAsync("root", ["site_admin"]);

        var (status, all, allBody, _) = await SearchAsync(server, adminToken, "?per_page=100");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(all, e => e.GetProperty("action").GetString() == "personal_access_token.create" && e.GetProperty("user").GetString() == "carol");
        Assert.Contains(all, e => e.GetProperty("action").GetString() == "git.clone" && e.GetProperty("user").GetString() == "bob");
        var stamps = all.Select(e => e.GetProperty("@timestamp").GetInt64()).ToList();
        Assert.Equal(stamps.OrderDescending(), stamps);
        foreach (var secret in new[] { bobToken, carolToken, adminToken })
            Assert.DoesNotContain(secret, allBody, StringComparison.Ordinal);

        // One token's trail, by GitHub's hashed_token.
        var (_, trail, _, _) = await SearchAsync(server, adminToken, Phrase($"hashed_token:\"{TokenFormat.Hashed(bobToken)}\""));
        Assert.Contains(trail, e => e.GetProperty("action").GetString() == "personal_access_token.create");
        Assert.Contains(trail, e => e.GetProperty("action").GetString() == "git.clone");
        Assert.All(trail, e => Assert.Equal(TokenFormat.Hashed(bobToken), e.GetProperty("hashed_token").GetString()));

        var (_, carolCreates, _, _) = await SearchAsync(server, adminToken, Phrase("action:personal_access_token.create user:carol"));
        Assert.Equal(["carol"], carolCreates.Select(e => e.GetProperty("user").GetString()));
        var (_, tokenEvents, _, _) = await SearchAsync(server, adminToken, Phrase("action:personal_access_token"));
        Assert.NotEmpty(tokenEvents);
        Assert.All(tokenEvents, e => Assert.StartsWith("personal_access_token.", e.GetProperty("action").GetString(), StringComparison.Ordinal));
        var (_, byBob, _, _) = await SearchAsync(server, adminToken, Phrase("actor:BOB"));
        Assert.NotEmpty(byBob);
        Assert.All(byBob, e => Assert.Equal("bob", e.GetProperty("actor").GetString()));

        var today = server.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var tomorrow = server.Clock.GetUtcNow().UtcDateTime.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(all.Count, (await SearchAsync(server, adminToken, Phrase($"created:{today}"))).Entries.Count);
        Assert.Empty((await SearchAsync(server, adminToken, Phrase($"created:>={tomorrow}"))).Entries);
        Assert.Equal(all.Count, (await SearchAsync(server, adminToken, Phrase($"created:{today}..{tomorrow}"))).Entries.Count);

        // Paged with the Link header.
        var (_, one, _, paged) = await SearchAsync(server, adminToken, "?per_page=1");
        Assert.Single(one);
        Assert.Contains("rel=\"next\"", paged.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        paged.Dispose();

        // A phrase that cannot be read is 422 with why; plain users learn nothing.
        foreach (var bad in new[] { "colour:red", "created:yesterday", "hashed_token:abc", "just words" })
        {
            var (badStatus, _, badBody, _) = await SearchAsync(server, adminToken, Phrase(bad));
            Assert.True(badStatus == HttpStatusCode.UnprocessableEntity, $"{bad} answered {badStatus}: {badBody}");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await SearchAsync(server, carolToken, "")).Status);
    }

    [Fact]
    public async Task The_site_admin_security_log_page_searches_and_finds_a_pasted_tokens_events_without_keeping_it()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var root = server.NewBrowserSession();
        await root.SignUpAsync("root", Password);
        using var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password);
        var bobToken = await bob.CreateTokenAsync("laptop", ["repo"]);
        using var carol = server.NewBrowserSession();
        await carol.SignUpAsync("carol", Password);
        await carol.CreateTokenAsync("ci", ["read:user"]);

        var (status, page) = await root.GetAsync("/site-admin/security-log?q=" + Uri.EscapeDataString("user:bob"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-security-user>bob<", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-security-user>carol<", page, StringComparison.Ordinal);

        using (var find = await root.PostFormAsync("/site-admin/security-log", [new("token", bobToken)], "/site-admin/security-log?handler=Find"))
        {
            Assert.Equal(HttpStatusCode.Redirect, find.StatusCode);
            var location = find.Headers.Location!.OriginalString;
            Assert.DoesNotContain(bobToken, location, StringComparison.Ordinal);
            var (_, found) = await root.GetAsync(location);
            Assert.Contains("laptop", found, StringComparison.Ordinal);
            Assert.DoesNotContain("data-security-user>carol<", found, StringComparison.Ordinal);
            Assert.DoesNotContain(bobToken, found, StringComparison.Ordinal);
        }
        var (badStatus, bad) = await root.GetAsync("/site-admin/security-log?q=colour:red");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badStatus);
        Assert.Contains("Unknown qualifier colour", bad, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/site-admin/security-log")).Status);
        Assert.DoesNotContain(bobToken, server.AllLogs, StringComparison.Ordinal);
    }
}
