using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// The site's credential inventory (issue #18): a site administrator lists every account's tokens as
/// token objects, filtered by owner, type and state and paged with GitHub's Link header; nobody else
/// learns that the endpoint exists, and no secret is ever in the answer.
/// </summary>
public sealed class TokenInventoryTests : IAsyncLifetime
{
    private const string Password = "token inventory passphrase";
    private LatchkeyServer _server = null!;
    private string _adminToken = "";
    private readonly List<string> _bobTokens = [];

    public async Task InitializeAsync()
    {
        _server = await LatchkeyServer.StartAsync();
        using var admin = _server.NewBrowserSession();
        await admin.SignUpAsync("root", Password);
        _adminToken = await admin.CreateTokenAsync("inventory", ["site_admin"], expiration: "90");
        using var bob = _server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password);
        await bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        _bobTokens.Add(await bob.CreateTokenAsync("laptop", ["repo"]));
        _bobTokens.Add(await bob.CreateTokenAsync("week", ["read:user"], expiration: "7"));
        _bobTokens.Add(await _server.IssueAsync("bob", RepositoryAccess.Selected, ["bob/work"],
            Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "deploy"));
    }

    public async Task DisposeAsync()
    {
        var errors = _server.FiveHundreds;
        await _server.DisposeAsync();
        Assert.Empty(errors);
    }

    private HttpClient Api(string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(_server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("token-inventory-tests");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return http;
    }

    private async Task<(HttpResponseMessage Response, string Body, List<JsonElement> Tokens)> ListAsync(string query, string? token = null)
    {
        using var http = Api(token ?? _adminToken);
        var response = await http.GetAsync("admin/personal-access-tokens" + query);
        var body = await response.Content.ReadAsStringAsync();
        var tokens = response.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.EnumerateArray().ToList() : [];
        return (response, body, tokens);
    }

    private static List<string> Names(IEnumerable<JsonElement> tokens) => tokens.Select(t => t.GetProperty("name").GetString()!).Order().ToList();

    [Fact]
    public async Task An_administrator_sees_every_accounts_tokens_and_no_secret()
    {
        var (response, body, tokens) = await ListAsync("");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["deploy", "inventory", "laptop", "week"], Names(tokens));
        foreach (var secret in _bobTokens.Append(_adminToken))
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);

        var laptop = tokens.Single(t => t.GetProperty("name").GetString() == "laptop");
        Assert.Equal("bob", laptop.GetProperty("owner").GetString());
        Assert.Equal("classic", laptop.GetProperty("type").GetString());
        Assert.Equal(_bobTokens[0][^8..], laptop.GetProperty("token_last_eight").GetString());
        Assert.Equal(["repo"], laptop.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList());
        Assert.Equal("active", laptop.GetProperty("state").GetString());

        var deploy = tokens.Single(t => t.GetProperty("name").GetString() == "deploy");
        Assert.Equal("fine_grained", deploy.GetProperty("type").GetString());
        Assert.Equal("selected", deploy.GetProperty("repository_selection").GetString());
        Assert.Equal("bob/work", deploy.GetProperty("repositories")[0].GetProperty("full_name").GetString());
        Assert.Equal("read", deploy.GetProperty("permissions").GetProperty("contents").GetString());
    }

    [Fact]
    public async Task Filters_by_owner_type_and_state_narrow_the_list_and_a_bad_one_is_a_422()
    {
        Assert.Equal(["deploy", "laptop", "week"], Names((await ListAsync("?owner=BOB")).Tokens));
        Assert.Equal(["deploy"], Names((await ListAsync("?type=fine_grained")).Tokens));
        Assert.Equal(["inventory", "laptop", "week"], Names((await ListAsync("?type=classic")).Tokens));
        Assert.Empty((await ListAsync("?owner=nobody")).Tokens);

        _server.Clock.Advance(TimeSpan.FromDays(8));
        var expired = (await ListAsync("?state=expired")).Tokens;
        Assert.Equal(["week"], Names(expired));
        Assert.True(expired[0].GetProperty("token_expired").GetBoolean());
        Assert.Equal(["deploy", "inventory", "laptop"], Names((await ListAsync("?state=active")).Tokens));
        Assert.Empty((await ListAsync("?state=revoked")).Tokens);
        Assert.Empty((await ListAsync("?state=revoked&owner=bob")).Tokens);

        foreach (var bad in new[] { "?type=oauth", "?state=sleeping", "?per_page=0" })
        {
            var (response, body, _) = await ListAsync(bad);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains("must be", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_its_owner_deleted_is_listed_as_revoked_only_under_state_revoked_and_its_name_is_free_again()
    {
        var deploy = (await ListAsync("?type=fine_grained")).Tokens.Single();
        var id = deploy.GetProperty("id").GetInt64();
        using var bob = _server.NewBrowserSession();
        await bob.SignInAsync("bob", Password);
        using (var delete = await bob.PostFormAsync($"/settings/personal-access-tokens/{id}", [], $"/settings/personal-access-tokens/{id}?handler=Delete"))
            Assert.True(delete.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, $"delete → {delete.StatusCode}");
        using (var api = Api(_bobTokens[2]))
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("user")).StatusCode);

        // A new token may take the name at once; the revoked one stays on record beside it.
        var again = await _server.IssueAsync("bob", RepositoryAccess.Selected, ["bob/work"],
            Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "deploy");
        var listed = (await ListAsync("")).Tokens;
        Assert.Equal(["deploy", "inventory", "laptop", "week"], Names(listed));
        Assert.NotEqual(id, listed.Single(t => t.GetProperty("name").GetString() == "deploy").GetProperty("id").GetInt64());
        Assert.DoesNotContain(id, (await ListAsync("?state=active")).Tokens.Select(t => t.GetProperty("id").GetInt64()));

        var (response, body, revoked) = await ListAsync("?state=revoked&owner=bob");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var gone = Assert.Single(revoked);
        Assert.Equal(id, gone.GetProperty("id").GetInt64());
        Assert.Equal("revoked", gone.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.String, gone.GetProperty("revoked_at").ValueKind);
        Assert.Equal("bob/work", gone.GetProperty("repositories")[0].GetProperty("full_name").GetString());
        Assert.DoesNotContain(_bobTokens[2], body, StringComparison.Ordinal);
        Assert.DoesNotContain(again, body, StringComparison.Ordinal);
        Assert.Empty((await ListAsync("?state=revoked&type=classic")).Tokens);
        Assert.Equal(JsonValueKind.Null, listed[0].GetProperty("revoked_at").ValueKind);

        // The site admin page: the revoked token under its own filter, marked, with nothing to select.
        using var admin = _server.NewBrowserSession();
        await admin.SignInAsync("root", Password);
        var (status, page) = await admin.GetAsync("/site-admin/tokens?state=revoked");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"data-token-row=\"{id}\"", page, StringComparison.Ordinal);
        Assert.Contains("data-token-revoked", page, StringComparison.Ordinal);
        Assert.DoesNotContain($"name=\"ids\" value=\"{id}\"", page, StringComparison.Ordinal);
        var (_, all) = await admin.GetAsync("/site-admin/tokens");
        Assert.DoesNotContain($"data-token-row=\"{id}\"", all, StringComparison.Ordinal);

        // Kept 90 days, then the daily housekeeping deletes the row.
        _server.Clock.Advance(TimeSpan.FromDays(TokenRules.RevokedKeptDays + 1));
        await _server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<TokenUsageFlusher>().Single().FlushAsync(CancellationToken.None);
        Assert.Empty((await ListAsync("?state=revoked")).Tokens);
    }

    [Fact]
    public async Task Filters_by_expiry_idleness_scope_permission_and_reachable_repository()
    {
        var soon = Uri.EscapeDataString(_server.Clock.GetUtcNow().AddDays(10).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["week"], Names((await ListAsync("?expires_before=" + soon)).Tokens));
        Assert.Equal(["deploy", "laptop", "week"], Names((await ListAsync("?owner=bob&expires_before=2099-01-01")).Tokens));

        // A scope is held itself or through its parent; fine-grained tokens hold none.
        Assert.Equal(["laptop"], Names((await ListAsync("?scope=public_repo")).Tokens));
        Assert.Equal(["week"], Names((await ListAsync("?scope=read:user")).Tokens));
        Assert.Equal(["deploy"], Names((await ListAsync("?permission=contents")).Tokens));
        Assert.Equal(["deploy"], Names((await ListAsync("?permission=contents:read")).Tokens));
        Assert.Empty((await ListAsync("?permission=contents:write")).Tokens);

        // Who can reach bob/work: bob's repo token and his token for it, not his read:user token nor root's.
        Assert.Equal(["deploy", "laptop"], Names((await ListAsync("?repository=bob/work")).Tokens));

        // Idle: used before the cutoff or never used (the administrator's token is in use right now).
        _server.Clock.Advance(TimeSpan.FromDays(2));
        using (var laptop = Api(_bobTokens[0]))
            Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("user")).StatusCode);
        Assert.Equal(["deploy", "week"], Names((await ListAsync("?unused_for_days=1")).Tokens));
        Assert.Empty((await ListAsync("?unused_for_days=3")).Tokens);

        foreach (var bad in new[] { "?expires_before=soon", "?unused_for_days=0", "?unused_for_days=x", "?scope=everything", "?permission=contents:admin",
            "?permission=nonsense", "?repository=bob/none", "?repository=bob" })
        {
            var (response, body, _) = await ListAsync(bad);
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{bad} → {(int)response.StatusCode} {body}");
            Assert.True(body.Contains("must be", StringComparison.Ordinal), $"{bad} → {body}");
        }
    }

    [Fact]
    public async Task The_site_admin_tokens_page_filters_exports_csv_and_revokes_in_bulk()
    {
        using var admin = _server.NewBrowserSession();
        await admin.SignInAsync("root", Password);
        var (status, all) = await admin.GetAsync("/site-admin/tokens");
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var name in new[] { "laptop", "week", "deploy", "inventory" })
            Assert.Contains($"data-token-name>{name}<", all, StringComparison.Ordinal);
        Assert.Contains("4 tokens", all, StringComparison.Ordinal);

        var (_, classic) = await admin.GetAsync("/site-admin/tokens?owner=bob&type=classic");
        Assert.Contains("2 tokens", classic, StringComparison.Ordinal);
        Assert.DoesNotContain("data-token-name>deploy<", classic, StringComparison.Ordinal);
        var (badStatus, bad) = await admin.GetAsync("/site-admin/tokens?state=sleeping");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badStatus);
        Assert.Contains("state must be active, expired or revoked.", bad, StringComparison.Ordinal);

        using (var csv = await admin.Http.GetAsync("site-admin/tokens?handler=Csv&owner=bob"))
        {
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("id,type,name,owner,token_last_eight", lines[0], StringComparison.Ordinal);
            Assert.Equal(4, lines.Length);
            Assert.Contains(lines, l => l.Contains(",classic,laptop,bob,", StringComparison.Ordinal) && l.Contains(_bobTokens[0][^8..], StringComparison.Ordinal));
            foreach (var secret in _bobTokens)
                Assert.DoesNotContain(secret, string.Join('\n', lines), StringComparison.Ordinal);
        }

        // Tick laptop and deploy, revoke: both stop at once, week goes on.
        var ids = Ids(all, "laptop", "deploy");
        using (var revoke = await admin.PostFormAsync("/site-admin/tokens?owner=bob", ids.Select(id => new KeyValuePair<string, string>("ids", id)), "/site-admin/tokens?handler=Revoke&owner=bob"))
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        var (_, after) = await admin.GetAsync("/site-admin/tokens?owner=bob");
        Assert.Contains("Revoked 2 tokens.", after, StringComparison.Ordinal);
        Assert.Contains("1 token", after, StringComparison.Ordinal);
        using (var laptop = Api(_bobTokens[0]))
            Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetAsync("user")).StatusCode);
        using (var week = Api(_bobTokens[1]))
            Assert.Equal(HttpStatusCode.OK, (await week.GetAsync("user")).StatusCode);

        using var bob = _server.NewBrowserSession();
        await bob.SignInAsync("bob", Password);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/site-admin/tokens")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/site-admin/tokens?handler=Csv")).Status);
    }

    /// <summary>The ids of the rows with these names on the tokens page.</summary>
    private static List<string> Ids(string page, params string[] names) =>
        names.Select(name => System.Text.RegularExpressions.Regex.Match(page, $"data-token-row=\"(\\d+)\"[^>]*>\\s*<input[^>]*>\\s*<div class=\"flex-auto\">\\s*<strong data-token-name>{name}<").Groups[1].Value)
            .Where(id => id.Length > 0).ToList();

    [Fact]
    public async Task Pages_follow_the_link_header_and_cover_every_token_once()
    {
        var seen = new List<string>();
        var url = "?per_page=1";
        for (var page = 0; page < 10 && url is not null; page++)
        {
            var (response, _, tokens) = await ListAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange(Names(tokens));
            var link = response.Headers.TryGetValues("Link", out var values) ? string.Join(",", values) : "";
            var next = System.Text.RegularExpressions.Regex.Match(link, "<([^>]+)>; rel=\"next\"");
            url = next.Success ? new Uri(next.Groups[1].Value).Query : null;
        }
        Assert.Equal(["deploy", "inventory", "laptop", "week"], seen.Order().ToList());
    }

    [Fact]
    public async Task A_plain_user_gets_404_and_a_fine_grained_token_of_the_administrator_is_refused()
    {
        var (bobs, bobsBody, _) = await ListAsync("", _bobTokens[0]);
        Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        Assert.Contains("Not Found", bobsBody, StringComparison.Ordinal);

        var fineGrained = await _server.IssueAsync("root", RepositoryAccess.All, null,
            Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "root reader");
        var (refused, _, _) = await ListAsync("", fineGrained);
        Assert.True(refused.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"a fine-grained token listed the inventory: {refused.StatusCode}");
    }

    [Fact]
    public async Task Under_a_site_lifetime_limit_an_older_token_without_expiry_is_listed_as_expired_at_the_limit()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:MaxLifetimeDays"] = "30" });
        using (var admin = server.NewBrowserSession())
            await admin.SignUpAsync("root", Password);
        using (var old = server.NewBrowserSession())
        {
            await old.SignUpAsync("old", Password);
            await old.CreateTokenAsync("from before the limit", ["repo"], expiration: "7");
        }
        // Made before the limit existed, with no expiry of its own: it still stops 30 days after it was made.
        Assert.Equal(1, await TestDatabase.ExecuteAsync(server.DataDirectory, "UPDATE \"PersonalAccessTokens\" SET \"ExpiresAt\" = NULL"));
        server.Clock.Advance(TimeSpan.FromDays(31));
        var adminToken = await server.IssueClassicAsync("root", ["site_admin"]);

        using var http = new HttpClient { BaseAddress = new Uri(server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("token-inventory-tests");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + adminToken);
        var expired = JsonDocument.Parse(await http.GetStringAsync("admin/personal-access-tokens?state=expired")).RootElement.EnumerateArray().ToList();
        Assert.Equal(["from before the limit"], Names(expired));
        var created = expired[0].GetProperty("created_at").GetDateTime();
        Assert.Equal(created.AddDays(30), expired[0].GetProperty("expires_at").GetDateTime());
        var active = JsonDocument.Parse(await http.GetStringAsync("admin/personal-access-tokens?state=active")).RootElement.EnumerateArray().ToList();
        Assert.Equal(["test"], Names(active));
    }

    [Fact]
    public async Task A_bulk_revoke_of_a_thousand_tokens_bites_at_once_on_git_and_api_logs_each_and_mails_each_owner_once()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var admin = server.NewBrowserSession())
            await admin.SignUpAsync("root", Password);
        using var dana = server.NewBrowserSession();
        await dana.SignUpAsync("dana", Password);
        await dana.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        var kept = await dana.CreateTokenAsync("kept", ["repo"]);
        var doomed = new List<string> { await dana.CreateTokenAsync("laptop", ["repo"]) };
        doomed.Add(await server.IssueAsync("dana", RepositoryAccess.All, null, Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "ci"));
        using (var erin = server.NewBrowserSession())
            await erin.SignUpAsync("erin", Password);
        for (var i = doomed.Count; i < 1000; i++)
            doomed.Add(await server.IssueClassicAsync(i % 2 == 0 ? "dana" : "erin", ["read:user"]));
        var adminToken = await server.IssueClassicAsync("root", ["site_admin"]);

        using var http = new HttpClient { BaseAddress = new Uri(server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("token-inventory-tests");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + adminToken);
        async Task<List<JsonElement>> ListAsync(string query) =>
            JsonDocument.Parse(await http.GetStringAsync("admin/personal-access-tokens" + query)).RootElement.EnumerateArray().ToList();
        var ids = new List<long>();
        foreach (var owner in new[] { "dana", "erin" })
            for (var page = 1; page <= 6; page++)
                ids.AddRange((await ListAsync($"?owner={owner}&per_page=100&page={page}"))
                    .Where(t => t.GetProperty("name").GetString() != "kept").Select(t => t.GetProperty("id").GetInt64()));
        Assert.Equal(1000, ids.Count);

        using var revoke = await http.PostAsync("admin/personal-access-tokens",
            new StringContent(JsonSerializer.Serialize(new { action = "revoke", pat_ids = ids }), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, revoke.StatusCode);

        Assert.Equal(["kept"], Names(await ListAsync("?owner=dana")));
        Assert.Empty(await ListAsync("?owner=erin"));
        var revokedPage = await ListAsync("?owner=erin&state=revoked&per_page=100");
        Assert.Equal(100, revokedPage.Count);
        Assert.All(revokedPage, t => Assert.Equal("revoked", t.GetProperty("state").GetString()));
        using var git = new GitClient();
        foreach (var (token, index) in doomed.Take(3).Select((t, i) => (t, i)))
        {
            var clone = await git.CloneAsync(server.Url("/dana/work.git"), $"revoked{index}", "dana", token);
            Assert.False(clone.Succeeded, "a revoked token cloned");
            using var api = new HttpRequestMessage(HttpMethod.Get, "user");
            api.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            api.Headers.UserAgent.ParseAdd("token-inventory-tests");
            using var refused = await new HttpClient { BaseAddress = http.BaseAddress }.SendAsync(api);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.True((await git.CloneAsync(server.Url("/dana/work.git"), "kept", "dana", kept)).Succeeded, "a token left out of the revocation stopped working");

        var (_, log) = await dana.GetAsync("/settings/security-log");
        Assert.Contains("revoked by site administrator root", log, StringComparison.Ordinal);
        var mail = Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "mail"), "*.eml").Select(File.ReadAllText)
            .Where(m => m.Contains("A site administrator revoked", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, mail.Count);
        // dana: laptop, ci and 499 more; erin: 499.
        Assert.Single(mail, m => m.Contains("laptop", StringComparison.Ordinal) && m.Contains("these 501 personal access tokens", StringComparison.Ordinal));
        Assert.Single(mail, m => m.Contains("these 499 personal access tokens", StringComparison.Ordinal) && !m.Contains("laptop", StringComparison.Ordinal));
        foreach (var secret in doomed.Take(3))
            Assert.DoesNotContain(secret, string.Join("\n", mail), StringComparison.Ordinal);

        foreach (var bad in new[] { "{\"action\":\"delete\",\"pat_ids\":[1]}", "{\"action\":\"revoke\",\"pat_ids\":[]}", "{\"action\":\"revoke\"}", "{\"action\":" })
        {
            using var refused = await http.PostAsync("admin/personal-access-tokens", new StringContent(bad, System.Text.Encoding.UTF8, "application/json"));
            Assert.True(refused.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, $"{bad} → {refused.StatusCode}");
        }
    }
}
