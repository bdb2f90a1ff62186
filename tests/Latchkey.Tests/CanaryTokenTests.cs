using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// Canary tokens (issue #18): made on Settings → Developer settings → Personal access tokens → Canary
/// tokens and shown once like a real token; presented on the API, on git, in a leak report or in a
/// pushed file they answer exactly as an unknown token, grant nothing, and tell their owner (security
/// log, mail, the list's trip count).
/// </summary>
public sealed class CanaryTokenTests
{
    private const string Password = "canary token passphrase";

    private static List<string> Mail(string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, "mail");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList()
            : [];
    }

    private static async Task<string> NewCanaryAsync(WebSession web, string note, string format)
    {
        using var created = await web.PostFormAsync("/settings/tokens/canaries", [new("Input.Note", note), new("Input.Format", format)]);
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var (_, page) = await web.GetAsync("/settings/tokens/canaries");
        var shown = WebSession.NewTokenBox().Match(page);
        Assert.True(shown.Success, "the new canary is not shown:\n" + page);
        // Shown once.
        var (_, again) = await web.GetAsync("/settings/tokens/canaries");
        Assert.DoesNotContain(shown.Groups[1].Value, again, StringComparison.Ordinal);
        return shown.Groups[1].Value;
    }

    private static async Task<(HttpStatusCode Status, string Body)> ApiAsync(LatchkeyServer server, string path, string token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url("/api/v3/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("curious-tool/1.0");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_canary_answers_as_an_unknown_token_everywhere_grants_nothing_and_tells_its_owner()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var root = server.NewBrowserSession())
            await root.SignUpAsync("root", Password);
        using var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password, email: "bob@example.test");
        await bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        var real = await bob.CreateTokenAsync("laptop", ["repo"]);

        var canary = await NewCanaryAsync(bob, "staging .env", "classic");
        Assert.Matches("^lkp_[A-Za-z0-9]{36}$", canary);
        var fineGrainedCanary = await NewCanaryAsync(bob, "wiki page", "fine_grained");
        Assert.Matches("^lkf_[A-Za-z0-9]{36}$", fineGrainedCanary);
        var unknown = TokenFormat.Generate(TokenKind.Classic);

        // The API: the same status and body as a token that does not exist.
        var asUnknown = await ApiAsync(server, "user", unknown);
        Assert.Equal(HttpStatusCode.Unauthorized, asUnknown.Status);
        Assert.Equal(asUnknown, await ApiAsync(server, "user", canary));
        Assert.Equal(asUnknown, await ApiAsync(server, "repos/bob/work", fineGrainedCanary));

        // Git: refused with the unknown token's words.
        using var git = new GitClient();
        var unknownClone = await git.CloneAsync(server.Url("/bob/work.git"), "unknown", "bob", unknown);
        var canaryClone = await git.CloneAsync(server.Url("/bob/work.git"), "canary", "bob", canary);
        Assert.False(canaryClone.Succeeded, "a canary cloned");
        Assert.Equal(unknownClone.Error.Replace("unknown", "X", StringComparison.Ordinal), canaryClone.Error.Replace("canary", "X", StringComparison.Ordinal));

        // A leak report: accepted as for any string, and the canary stays (it is not a real token to revoke).
        using (var http = new HttpClient())
        using (var report = await http.PostAsync(server.Url("/api/v3/credentials/revoke"),
            new StringContent($"{{\"credentials\":[\"{canary}\"]}}", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Accepted, report.StatusCode);

        var mails = Mail(server.DataDirectory).Where(m => m.Contains("canary token", StringComparison.Ordinal)).ToList();
        // Several trips within ten minutes: one mail per canary, at the first.
        Assert.Equal(2, mails.Count);
        var first = mails.Single(m => m.Contains("\"staging .env\"", StringComparison.Ordinal));
        Assert.Contains("Your canary token \"staging .env\" was used", first, StringComparison.Ordinal);
        Assert.Contains("GET /api/v3/user", first, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", first, StringComparison.Ordinal);
        Assert.Contains("curious-tool/1.0", first, StringComparison.Ordinal);
        Assert.DoesNotContain(canary, string.Join('\n', Mail(server.DataDirectory)), StringComparison.Ordinal);

        // Pushed in a file, later: the push is treated as one with an unknown token in it, and reported.
        server.Clock.Advance(TimeSpan.FromMinutes(11));
        var clone = await git.CloneAsync(server.Url("/bob/work.git"), "work", "bob", real);
        Assert.True(clone.Succeeded, clone.ToString());
        await git.CommitFileAsync("work", "config.env", $"GITHUB_TOKEN={canary}\n", "Add config");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "work"), server.Url("/bob/work.git"), "bob", real);
        Assert.True(push.Succeeded, push.ToString());
        var pushMail = Mail(server.DataDirectory).Where(m => m.Contains("\"staging .env\" was used", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, pushMail.Count);
        Assert.Contains(pushMail, m => m.Contains("a push to bob/work, in config.env", StringComparison.Ordinal));

        // The owner's list and security log.
        var (_, list) = await bob.GetAsync("/settings/tokens/canaries");
        var row = Regex.Match(list, "data-canary-name>staging .env<.*?data-canary-trips>Tripped (\\d+) times, last on ", RegexOptions.Singleline);
        Assert.True(row.Success, "the list does not say how often the canary was tripped:\n" + list);
        // The API, git (at least once), the leak report and the push.
        Assert.InRange(int.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 4, 6);
        var (_, log) = await bob.GetAsync("/settings/security-log");
        Assert.Contains("Canary token &quot;staging .env&quot; (&#x2026;" + canary[^8..] + ") was presented: GET /api/v3/user, from 127.0.0.1 (curious-tool/1.0)", log, StringComparison.Ordinal);
        Assert.Contains("was presented: a leak report to POST /api/v3/credentials/revoke", log, StringComparison.Ordinal);
        Assert.Contains("was presented: GET /bob/work.git/info/refs", log, StringComparison.Ordinal);
        Assert.Contains("was presented: a push to bob/work, in config.env", log, StringComparison.Ordinal);

        // Nowhere among real tokens, and no page of its own to add scopes on.
        var (_, classicList) = await bob.GetAsync("/settings/tokens");
        Assert.DoesNotContain("staging .env", classicList, StringComparison.Ordinal);
        var id = Regex.Match(list, "data-canary-row=\"(\\d+)\"").Groups[1].Value;
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/settings/tokens/{id}")).Status);

        // The site's inventory lists it, marked.
        var adminToken = await server.IssueClassicAsync("root", ["site_admin"]);
        var (_, inventory) = await ApiAsync(server, "admin/personal-access-tokens?owner=bob", adminToken);
        var objects = JsonDocument.Parse(inventory).RootElement.EnumerateArray().ToList();
        Assert.True(objects.Single(o => o.GetProperty("name").GetString() == "staging .env").GetProperty("canary").GetBoolean());
        Assert.False(objects.Single(o => o.GetProperty("name").GetString() == "laptop").GetProperty("canary").GetBoolean());
    }

    [Fact]
    public async Task A_site_canary_made_by_an_administrator_tells_every_administrator_and_a_plain_user_cannot_make_one()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var root = server.NewBrowserSession();
        await root.SignUpAsync("root", Password, email: "root@example.test");
        using (var ops = server.NewBrowserSession())
            await ops.SignUpAsync("ops", Password, email: "ops@example.test");
        using var eve = server.NewBrowserSession();
        await eve.SignUpAsync("eve", Password, email: "eve@example.test");
        using (var scope = server.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Latchkey.Accounts.User>>();
            var second = (await users.FindByNameAsync("ops"))!;
            second.IsSiteAdmin = true;
            await users.UpdateAsync(second);
        }

        // A plain user is not offered it, and a POST that asks anyway makes nothing.
        var (_, plainPage) = await eve.GetAsync("/settings/tokens/canaries");
        Assert.DoesNotContain("Input.Site", plainPage, StringComparison.Ordinal);
        using (var refused = await eve.PostFormAsync("/settings/tokens/canaries", [new("Input.Note", "sneaky"), new("Input.Format", "classic"), new("Input.Site", "true")]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains(CanaryTokens.SiteCanaryRefusal, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var (_, stillEmpty) = await eve.GetAsync("/settings/tokens/canaries");
        Assert.DoesNotContain("sneaky", stillEmpty, StringComparison.Ordinal);

        var (_, adminPage) = await root.GetAsync("/settings/tokens/canaries");
        Assert.Contains("name=\"Input.Site\"", adminPage, StringComparison.Ordinal);
        using (var created = await root.PostFormAsync("/settings/tokens/canaries", [new("Input.Note", "backup bucket"), new("Input.Format", "fine_grained"), new("Input.Site", "true")]))
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var (_, shownPage) = await root.GetAsync("/settings/tokens/canaries");
        var canary = WebSession.NewTokenBox().Match(shownPage).Groups[1].Value;
        Assert.StartsWith(TokenFormat.FineGrainedPrefix, canary, StringComparison.Ordinal);
        Assert.Contains("data-site-canary", shownPage, StringComparison.Ordinal);

        // Presented by anyone: an unknown token's answer, and both administrators are mailed; the plain user is not.
        var (status, _) = await ApiAsync(server, "user", canary);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        var mails = Mail(server.DataDirectory).Where(m => m.Contains("site canary token \"backup bucket\" was used", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, mails.Count);
        Assert.Contains(mails, m => m.Contains("ops@example.test", StringComparison.Ordinal));
        Assert.Contains(mails, m => m.Contains("root@example.test", StringComparison.Ordinal));
        Assert.DoesNotContain(mails, m => m.Contains("eve@example.test", StringComparison.Ordinal));
        Assert.All(mails, m => Assert.Contains("made by root", m, StringComparison.Ordinal));
        Assert.All(mails, m => Assert.Contains("GET /api/v3/user", m, StringComparison.Ordinal));
        Assert.All(mails, m => Assert.DoesNotContain(canary, m, StringComparison.Ordinal));
    }
}
