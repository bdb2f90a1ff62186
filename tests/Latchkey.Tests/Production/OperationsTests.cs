using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Production;

/// <summary>
/// What an operator relies on in production: health probes, forwarded headers believed only from
/// the configured proxy, and a request id that ties a response to its log line.
/// </summary>
public sealed class OperationsTests
{
    private const string Password = "operations test passphrase";

    [Fact]
    public async Task Liveness_and_readiness_answer_plain_text_without_credentials()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var live = await http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", (await live.Content.ReadAsStringAsync()).Trim());

        using var ready = await http.GetAsync("readyz");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.StartsWith("Healthy\n", body, StringComparison.Ordinal);
        Assert.Contains("database: Healthy", body, StringComparison.Ordinal);
        Assert.Contains("repositories: Healthy", body, StringComparison.Ordinal);
        Assert.Contains("git: Healthy", body, StringComparison.Ordinal);
        // Nothing an attacker could use: no versions, no paths.
        Assert.DoesNotContain("version", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(server.DataDirectory, body, StringComparison.Ordinal);
        Assert.Equal("no-store", ready.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_node_whose_repositories_directory_is_unusable_is_not_ready_but_still_alive()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var repositories = Path.Combine(server.DataDirectory, "repositories");
        var aside = repositories + ".aside";
        Directory.Move(repositories, aside);
        // A file where the directory should be: not writable for anyone, root included.
        await File.WriteAllTextAsync(repositories, "");
        try
        {
            using var ready = await http.GetAsync("readyz");
            var body = await ready.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.StartsWith("Unhealthy\n", body, StringComparison.Ordinal);
            Assert.Contains("repositories: Unhealthy (the repositories directory is not writable)", body, StringComparison.Ordinal);
            Assert.Contains("database: Healthy", body, StringComparison.Ordinal);
            Assert.DoesNotContain(server.DataDirectory, body, StringComparison.Ordinal);

            using var live = await http.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            File.Delete(repositories);
            Directory.Move(aside, repositories);
        }
        using var again = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Probes_are_not_redirected_to_https()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Latchkey:PublicUrl"] = "https://git.example.test" });
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        using (var ready = await http.GetAsync("readyz"))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var page = await http.GetAsync("login"))
            Assert.Equal(HttpStatusCode.PermanentRedirect, page.StatusCode);
    }

    private static async Task<string> SignInFromBehindAsync(LatchkeyServer server, string username, string forwardedFor, string forwardedProto)
    {
        // The browser session stays on the test's plain-HTTP connection throughout (it could not send
        // back cookies marked Secure); only its address is forwarded.
        using var web = server.NewBrowserSession();
        web.Http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        await web.SignUpAsync(username, Password);
        await web.CreateRepositoryAsync("code", addReadme: true);
        var token = await web.CreateTokenAsync("proxy", ["repo"]);
        var (status, log) = await web.GetAsync("/settings/security-log");
        Assert.Equal(HttpStatusCode.OK, status);

        using var api = new HttpClient { BaseAddress = server.BaseAddress };
        api.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        api.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
        api.DefaultRequestHeaders.Add("Authorization", "Bearer " + token);
        api.DefaultRequestHeaders.UserAgent.ParseAdd("operations-test");
        var repo = JsonDocument.Parse(await api.GetStringAsync($"api/v3/repos/{username}/code"));
        return log + "\nclone_url=" + repo.RootElement.GetProperty("clone_url").GetString();
    }

    [Fact]
    public async Task Behind_a_configured_proxy_the_client_address_and_scheme_come_from_forwarded_headers()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Proxy:KnownProxies"] = "127.0.0.1" });
        var seen = await SignInFromBehindAsync(server, "proxied", "203.0.113.7", "https");

        Assert.Contains("203.0.113.7", seen, StringComparison.Ordinal);
        Assert.Contains($"clone_url=https://{server.BaseAddress.Authority}/proxied/code.git", seen, StringComparison.Ordinal);

        // Served over HTTPS at the proxy: cookies are Secure and HSTS is sent.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "login");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var page = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.All(page.Headers.GetValues("Set-Cookie"), cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));
        Assert.True(page.Headers.Contains("Strict-Transport-Security"), "HSTS is sent over HTTPS");
    }

    [Fact]
    public async Task Forwarded_headers_from_anyone_but_the_configured_proxy_are_ignored()
    {
        // No proxy configured: loopback is not trusted by default either.
        await using var server = await LatchkeyServer.StartAsync();
        var seen = await SignInFromBehindAsync(server, "direct", "203.0.113.7", "https");
        Assert.DoesNotContain("203.0.113.7", seen, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", seen, StringComparison.Ordinal);
        Assert.Contains($"clone_url=http://{server.BaseAddress.Authority}/direct/code.git", seen, StringComparison.Ordinal);

        // A proxy is configured, but the request comes from another address.
        await using var proxied = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Proxy:KnownProxies"] = "127.0.0.9" });
        using var spoofer = proxied.NewBrowserSession(IPAddress.Parse("127.0.0.2"));
        spoofer.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        await spoofer.SignUpAsync("spoofer", Password);
        var (_, log) = await spoofer.GetAsync("/settings/security-log");
        Assert.DoesNotContain("203.0.113.7", log, StringComparison.Ordinal);
        Assert.Contains("127.0.0.2", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Behind_the_proxy_the_brute_force_throttle_counts_each_real_client()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string>
        {
            ["Proxy:KnownProxies"] = "127.0.0.1",
            ["Security:FailureLimit"] = "3",
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        async Task<HttpStatusCode> BadTokenFromAsync(string client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
            request.Headers.Add("X-Forwarded-For", client);
            request.Headers.Add("Authorization", "Bearer not-a-token");
            request.Headers.UserAgent.ParseAdd("operations-test");
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await BadTokenFromAsync("198.51.100.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await BadTokenFromAsync("198.51.100.1"));
        // Another client behind the same proxy is not punished for the first one.
        Assert.Equal(HttpStatusCode.Unauthorized, await BadTokenFromAsync("198.51.100.2"));
    }

    [Fact]
    public async Task Bad_proxy_settings_stop_the_server_at_start_with_the_setting_named()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Proxy:KnownNetworks"] = "10.0.0.0/99" }));
        Assert.Contains("Proxy:KnownNetworks", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_response_names_its_request_id_and_the_log_line_has_it_without_the_query_string()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync("login?secret-looking-query=1");
        var id = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.False(string.IsNullOrWhiteSpace(id));
        var line = Assert.Single(server.AllLogs.Split('\n'), l => l.Contains($"Request {id} ", StringComparison.Ordinal));
        Assert.Contains("GET /login answered 200 to 127.0.0.1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-looking-query", server.AllLogs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_with_encoded_line_breaks_stays_one_log_line()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync("x%0AForged%20entry%0D");
        var id = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        var line = Assert.Single(server.AllLogs.Split('\n'), l => l.Contains($"Request {id} ", StringComparison.Ordinal));
        Assert.Contains(@"GET /x\x0aForged entry\x0d answered 404", line, StringComparison.Ordinal);
    }
}
