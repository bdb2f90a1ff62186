using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;

namespace Latchkey.Tests;

/// <summary>
/// Allowed networks per token (issue #18): a token limited to networks is refused from any other
/// address on git and the API, with a message that does not list them, and the refusal is logged
/// with the address. The address is the connection's, or the forwarded one only from a configured
/// proxy. A token may narrow itself (PATCH /api/v3/user/token); widening is its owner's, on the web.
/// </summary>
public sealed class AllowedNetworksTests
{
    private const string Password = "allowed networks passphrase";

    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    private static async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(LatchkeyServer server, HttpMethod method, string path, string token,
        string? json = null, IPAddress? from = null, string? forwardedFor = null)
    {
        using var http = new HttpClient(WebSession.Handler(null, from));
        using var request = new HttpRequestMessage(method, server.Url("/api/v3/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("allowed-networks-tests");
        if (forwardedFor is not null)
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static List<string?> Networks(JsonElement token) =>
        token.GetProperty("allowed_networks").EnumerateArray().Select(n => n.GetString()).ToList();

    [Fact]
    public async Task A_token_that_narrows_itself_works_only_from_its_networks_on_git_and_api_and_cannot_widen_itself()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password);
        await bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        var token = await bob.CreateTokenAsync("deploy", ["repo"]);

        var (_, before) = await CallAsync(server, HttpMethod.Get, "user/token", token);
        Assert.Empty(Networks(before));
        var (status, narrowed) = await CallAsync(server, HttpMethod.Patch, "user/token", token, "{\"allowed_networks\":[\" 127.0.0.2 \"]}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["127.0.0.2/32"], Networks(narrowed));

        // From 127.0.0.1: refused on the API and on git, without naming the networks.
        var (refusedStatus, refused) = await CallAsync(server, HttpMethod.Get, "user", token);
        Assert.Equal(HttpStatusCode.Forbidden, refusedStatus);
        var message = refused.GetProperty("message").GetString()!;
        Assert.Equal(AllowedNetworks.RefusedMessage, message);
        Assert.DoesNotContain("127.0.0.2", message, StringComparison.Ordinal);
        using (var git = new GitClient())
        {
            var clone = await git.CloneAsync(server.Url("/bob/work.git"), "work", "bob", token);
            Assert.False(clone.Succeeded, "a clone from outside the token's networks worked");
            Assert.Contains("limited to its allowed networks", clone.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.2", clone.Error, StringComparison.Ordinal);
        }
        // A forwarded address from a peer that is no configured proxy changes nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(server, HttpMethod.Get, "user", token, forwardedFor: "127.0.0.2")).Status);

        // From 127.0.0.2: allowed.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "user", token, from: Second)).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "repos/bob/work", token, from: Second)).Status);

        // It can narrow again (or keep its list), never widen or clear it.
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Patch, "user/token", token, "{\"allowed_networks\":[\"127.0.0.2/32\"]}", from: Second)).Status);
        var (wider, widerBody) = await CallAsync(server, HttpMethod.Patch, "user/token", token, "{\"allowed_networks\":[\"127.0.0.0/8\"]}", from: Second);
        Assert.Equal(HttpStatusCode.Forbidden, wider);
        Assert.Contains("only narrow", widerBody.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(server, HttpMethod.Patch, "user/token", token, "{\"allowed_networks\":[]}", from: Second)).Status);
        var (badStatus, bad) = await CallAsync(server, HttpMethod.Patch, "user/token", token, "{\"allowed_networks\":[\"10.0.0.0/33\"]}", from: Second);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badStatus);
        Assert.Contains("10.0.0.0/33", bad.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await CallAsync(server, HttpMethod.Patch, "user/token", token, "{}", from: Second)).Status);

        // The refusals are in the owner's security log with the address they came from.
        var (_, log) = await bob.GetAsync("/settings/security-log");
        Assert.Contains("used from 127.0.0.1, outside its allowed networks", log, StringComparison.Ordinal);
        Assert.Contains("allowed networks: 127.0.0.2/32 (was anywhere)", log, StringComparison.Ordinal);

        // Its owner widens it on the token's page (sudo mode, fresh from signing up): 127.0.0.1 works again.
        var id = narrowed.GetProperty("id").GetInt64();
        var (_, edit) = await bob.GetAsync($"/settings/tokens/{id}");
        Assert.Contains("127.0.0.2/32</textarea>", edit, StringComparison.Ordinal);
        using (var save = await bob.PostFormAsync($"/settings/tokens/{id}",
            [new("Input.Note", "deploy"), new("Input.Scopes", "repo"), new("Input.AllowedNetworks", "127.0.0.2\n127.0.0.0/8")]))
            Assert.Equal(HttpStatusCode.Redirect, save.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "user", token)).Status);
        using (var git = new GitClient())
            Assert.True((await git.CloneAsync(server.Url("/bob/work.git"), "work", "bob", token)).Succeeded);
        using (var wrong = await bob.PostFormAsync($"/settings/tokens/{id}",
            [new("Input.Note", "deploy"), new("Input.Scopes", "repo"), new("Input.AllowedNetworks", "the office")]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
            Assert.Contains("Allowed networks: &quot;the office&quot; is not an IP address or a CIDR range", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Behind_a_configured_proxy_the_forwarded_address_decides_and_a_spoofed_one_from_elsewhere_does_not()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Proxy:KnownProxies"] = "127.0.0.1" });
        using var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password);
        await bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        // Made on the fine-grained form with its Allowed networks field.
        var repositoryId = await bob.RepositoryIdAsync("bob/work");
        using (var created = await bob.PostFormAsync("/settings/personal-access-tokens/new",
        [
            new("Input.Name", "office"), new("Input.Expiration", "30"), new("Input.RepositoryAccess", "selected"),
            new("Input.RepositoryIds", repositoryId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Input.Permissions[contents]", "read"), new("Input.AllowedNetworks", "203.0.113.0/24\n2001:db8::/48"),
        ]))
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var (_, list) = await bob.GetAsync("/settings/personal-access-tokens");
        var token = System.Text.RegularExpressions.Regex.Match(list, "(lkf_[A-Za-z0-9_]+)").Groups[1].Value;
        Assert.StartsWith("lkf_", token, StringComparison.Ordinal);

        var (inside, self) = await CallAsync(server, HttpMethod.Get, "user/token", token, forwardedFor: "203.0.113.7");
        Assert.Equal(HttpStatusCode.OK, inside);
        Assert.Equal(["203.0.113.0/24", "2001:db8::/48"], Networks(self));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(server, HttpMethod.Get, "repos/bob/work", token, forwardedFor: "2001:db8:0:1::5")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(server, HttpMethod.Get, "repos/bob/work", token, forwardedFor: "198.51.100.1")).Status);
        // The proxy itself is not inside: without a forwarded address the request is its own.
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(server, HttpMethod.Get, "repos/bob/work", token)).Status);
        // 127.0.0.2 is no configured proxy: what it says it forwards is not believed.
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(server, HttpMethod.Get, "repos/bob/work", token, from: Second, forwardedFor: "203.0.113.7")).Status);

        using var git = new GitClient();
        var allowed = await git.RunAsync(null, "bob", token, "-c", "http.extraHeader=X-Forwarded-For: 203.0.113.7", "clone", server.Url("/bob/work.git"), "inside");
        Assert.True(allowed.Succeeded, allowed.ToString());
        var outside = await git.RunAsync(null, "bob", token, "-c", "http.extraHeader=X-Forwarded-For: 198.51.100.1", "clone", server.Url("/bob/work.git"), "outside");
        Assert.False(outside.Succeeded, "a clone forwarded from outside the token's networks worked");
        Assert.Contains("limited to its allowed networks", outside.Error, StringComparison.Ordinal);
        var (_, log) = await bob.GetAsync("/settings/security-log");
        Assert.Contains("used from 198.51.100.1, outside its allowed networks", log, StringComparison.Ordinal);
    }
}
