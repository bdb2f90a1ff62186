using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// The site's token policy per kind (issue #18): GET/PUT /api/v3/admin/token-policies and Site admin →
/// Token policies. Classic tokens disabled are refused on git and the API with a message that points
/// to fine-grained tokens, and cannot be made; a maximum lifetime is refused at creation and
/// regeneration and stops older tokens at the limit; each change is in the security log.
/// </summary>
public sealed class TokenPolicyTests
{
    private const string Password = "token policy passphrase";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(LatchkeyServer server, HttpMethod method, string path, string token, string? json = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, server.Url("/api/v3/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("token-policy-tests");
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string Message(JsonElement body) => body.GetProperty("message").GetString()!;

    /// <summary>A site with an administrator (root, with a site_admin token) and bob, who owns a private repository.</summary>
    private static async Task<(LatchkeyServer Server, string AdminToken, WebSession Bob)> SiteAsync()
    {
        var server = await LatchkeyServer.StartAsync();
        using (var admin = server.NewBrowserSession())
            await admin.SignUpAsync("root", Password);
        var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password);
        await bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        return (server, await server.IssueClassicAsync("root", ["site_admin"]), bob);
    }

    [Fact]
    public async Task Disabling_classic_tokens_refuses_existing_ones_on_git_and_api_with_the_policy_message_and_the_form_says_so()
    {
        var (server, adminToken, bob) = await SiteAsync();
        await using var _ = server;
        using var __ = bob;
        var classic = await bob.CreateTokenAsync("laptop", ["repo"]);
        var fineGrained = await server.IssueAsync("bob", RepositoryAccess.Selected, ["bob/work"],
            Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "ci");

        var (status, initial) = await CallAsync(server, HttpMethod.Get, "admin/token-policies", adminToken);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(initial.GetProperty("classic").GetProperty("allowed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("classic").GetProperty("max_lifetime_days").ValueKind);
        Assert.False(initial.GetProperty("classic").GetProperty("expiry_required").GetBoolean());
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("fine_grained").GetProperty("max_lifetime_days").ValueKind);
        // Nobody else learns the endpoint exists; a fine-grained token is no administrator's key.
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(server, HttpMethod.Get, "admin/token-policies", classic)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(server, HttpMethod.Put, "admin/token-policies", classic, "{\"classic\":{\"allowed\":false}}")).Status);
        var fineGrainedAnswer = (await CallAsync(server, HttpMethod.Get, "admin/token-policies", fineGrained)).Status;
        Assert.True(fineGrainedAnswer is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"a fine-grained token read the policy: {fineGrainedAnswer}");

        var (putStatus, put) = await CallAsync(server, HttpMethod.Put, "admin/token-policies", adminToken, "{\"classic\":{\"allowed\":false}}");
        Assert.Equal(HttpStatusCode.OK, putStatus);
        Assert.False(put.GetProperty("classic").GetProperty("allowed").GetBoolean());
        // The fields not named stay as they were.
        Assert.False(put.GetProperty("classic").GetProperty("expiry_required").GetBoolean());

        // At once, on the API and on git: refused with the policy's words, not "bad credentials".
        var (refusedStatus, refused) = await CallAsync(server, HttpMethod.Get, "user", classic);
        Assert.Equal(HttpStatusCode.Forbidden, refusedStatus);
        Assert.Equal(TokenPolicy.ClassicDisabledMessage, Message(refused));
        using (var git = new GitClient())
        {
            var clone = await git.CloneAsync(server.Url("/bob/work.git"), "work", "bob", classic);
            Assert.False(clone.Succeeded, "a classic token cloned while classic tokens are disabled");
            Assert.Contains("Classic personal access tokens are disabled on this server by the site's token policy", clone.Error, StringComparison.Ordinal);
            Assert.Contains("/settings/personal-access-tokens/new", clone.Error, StringComparison.Ordinal);
            Assert.True((await git.CloneAsync(server.Url("/bob/work.git"), "fine", "bob", fineGrained)).Succeeded, "the fine-grained token stopped too");
        }
        // The administrator's own classic token is refused as well: the web page is the way back.
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(server, HttpMethod.Get, "admin/token-policies", adminToken)).Status);

        // The classic form says so, and a POST made anyway creates nothing.
        var (_, form) = await bob.GetAsync("/settings/tokens/new");
        Assert.Contains("data-classic-disabled", form, StringComparison.Ordinal);
        Assert.DoesNotContain("Generate token</button>", form, StringComparison.Ordinal);
        using (var attempt = await bob.PostFormAsync("/settings/personal-access-tokens/new",
            [new("Input.Note", "sneaky"), new("Input.Expiration", "30"), new("Input.Scopes", "repo")], "/settings/tokens/new"))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, attempt.StatusCode);
            Assert.Contains("Classic personal access tokens are disabled", await attempt.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var (_, list) = await bob.GetAsync("/settings/tokens");
        Assert.DoesNotContain("sneaky", list, StringComparison.Ordinal);

        // Back on through Site admin → Token policies (sudo mode, fresh from signing in).
        using var admin = server.NewBrowserSession();
        await admin.SignInAsync("root", Password);
        var (pageStatus, page) = await admin.GetAsync("/site-admin/token-policies");
        Assert.Equal(HttpStatusCode.OK, pageStatus);
        Assert.DoesNotContain("name=\"Input.ClassicAllowed\" value=\"true\" checked", page, StringComparison.Ordinal);
        using (var save = await admin.PostFormAsync("/site-admin/token-policies", [new("Input.ClassicAllowed", "true")]))
            Assert.Equal(HttpStatusCode.Redirect, save.StatusCode);
        var (_, saved) = await admin.GetAsync("/site-admin/token-policies");
        Assert.Contains("Token policy saved: classic tokens allowed.", saved, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "user", classic)).Status);

        // Each change is in the administrator's security log.
        var (_, log) = await admin.GetAsync("/settings/security-log");
        Assert.Contains("Site token policy: classic tokens disabled", log, StringComparison.Ordinal);
        Assert.Contains("Site token policy: classic tokens allowed", log, StringComparison.Ordinal);

        using var bobAgain = server.NewBrowserSession();
        await bobAgain.SignInAsync("bob", Password);
        Assert.Equal(HttpStatusCode.NotFound, (await bobAgain.GetAsync("/site-admin/token-policies")).Status);
    }

    [Fact]
    public async Task A_maximum_lifetime_is_refused_at_creation_and_regeneration_and_stops_older_tokens_at_the_limit()
    {
        var (server, adminToken, bob) = await SiteAsync();
        await using var _ = server;
        using var __ = bob;
        var forever = await bob.CreateTokenAsync("forever", ["repo"], expiration: "none");
        var monthly = await server.IssueAsync("bob", RepositoryAccess.All, null,
            Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "monthly");

        var (status, put) = await CallAsync(server, HttpMethod.Put, "admin/token-policies", adminToken,
            "{\"classic\":{\"max_lifetime_days\":30},\"fine_grained\":{\"max_lifetime_days\":7}}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(30, put.GetProperty("classic").GetProperty("max_lifetime_days").GetInt32());
        Assert.Equal(7, put.GetProperty("fine_grained").GetProperty("max_lifetime_days").GetInt32());

        // Creation past the maximum, or without expiry, is refused; within it, it works.
        foreach (var expiration in new[] { "90", "none" })
        {
            using var refused = await bob.PostFormAsync("/settings/tokens/new",
                [new("Input.Note", "too long " + expiration), new("Input.Expiration", expiration), new("Input.Scopes", "repo")]);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains("Tokens on this server must expire within 30 days.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var (_, form) = await bob.GetAsync("/settings/tokens/new");
        Assert.DoesNotContain("value=\"none\"", form, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"90\"", form, StringComparison.Ordinal);
        await bob.CreateTokenAsync("weekly", ["repo"], expiration: "7");
        using (var fineGrained = await bob.PostFormAsync("/settings/personal-access-tokens/new",
            [new("Input.Name", "too long"), new("Input.Expiration", "30"), new("Input.RepositoryAccess", "all")]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, fineGrained.StatusCode);
            Assert.Contains("Tokens on this server must expire within 7 days.", await fineGrained.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Regeneration too.
        var (_, self) = await CallAsync(server, HttpMethod.Get, "user/token", forever);
        var id = self.GetProperty("id").GetInt64();
        Assert.Equal(self.GetProperty("created_at").GetDateTime().AddDays(30), self.GetProperty("expires_at").GetDateTime());
        using (var regenerate = await bob.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "90")]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, regenerate.StatusCode);
            Assert.Contains("Tokens on this server must expire within 30 days.", await regenerate.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Older tokens stop at their kind's limit, counted from when they were made.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "user", forever)).Status);
        server.Clock.Advance(TimeSpan.FromDays(8));
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(server, HttpMethod.Get, "user", monthly)).Status);
        using (var git = new GitClient())
            Assert.False((await git.CloneAsync(server.Url("/bob/work.git"), "work", "bob", monthly)).Succeeded, "a fine-grained token cloned past the 7-day limit");
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "user", forever)).Status);
        server.Clock.Advance(TimeSpan.FromDays(23));
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(server, HttpMethod.Get, "user", forever)).Status);

        // Lifting the limit gives the token back its own (no) expiry.
        var fresh = await server.IssueClassicAsync("root", ["site_admin"]);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Put, "admin/token-policies", fresh, "{\"classic\":{\"max_lifetime_days\":null}}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "user", forever)).Status);
    }

    [Fact]
    public async Task Policy_bodies_that_are_wrong_get_a_4xx_that_names_the_field_and_change_nothing()
    {
        var (server, adminToken, bob) = await SiteAsync();
        await using var _ = server;
        using var __ = bob;
        // Not JSON, or a value of the wrong type: 400, as every API body.
        foreach (var body in new[] { "{", "{\"classic\":{\"max_lifetime_days\":\"30\"}}", "{\"classic\":{\"max_lifetime_days\":1.5}}",
            "{\"classic\":{\"allowed\":\"no\"}}", "{\"classic\":true}", "[]" })
        {
            var (status, answer) = await CallAsync(server, HttpMethod.Put, "admin/token-policies", adminToken, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body} answered {status}");
            Assert.Equal("Problems parsing JSON", Message(answer));
        }
        // Out of range, or not a policy field: 422 naming the field.
        foreach (var (body, field) in new[]
        {
            ("{\"classic\":{\"max_lifetime_days\":0}}", "classic.max_lifetime_days"),
            ("{\"classic\":{\"max_lifetime_days\":367}}", "classic.max_lifetime_days"),
            ("{\"classic\":{\"colour\":\"red\"}}", "classic.colour"),
            ("{\"fine_grained\":{\"max_lifetime_days\":-1}}", "fine_grained.max_lifetime_days"),
            ("{\"oauth\":{}}", "oauth"),
        })
        {
            var (status, answer) = await CallAsync(server, HttpMethod.Put, "admin/token-policies", adminToken, body);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{body} answered {status}");
            Assert.Equal(field, answer.GetProperty("errors")[0].GetProperty("field").GetString());
        }
        var (_, policy) = await CallAsync(server, HttpMethod.Get, "admin/token-policies", adminToken);
        Assert.True(policy.GetProperty("classic").GetProperty("allowed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("classic").GetProperty("max_lifetime_days").ValueKind);

        using var admin = server.NewBrowserSession();
        await admin.SignInAsync("root", Password);
        using var bad = await admin.PostFormAsync("/site-admin/token-policies",
            [new("Input.ClassicAllowed", "true"), new("Input.ClassicMaxLifetimeDays", "a year")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("Classic tokens: maximum lifetime must be a whole number of days from 1 to 366", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
