using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// The Prometheus scrape an operator points at <c>/api/v3/metrics</c>: after a push, two clones, wrong
/// tokens and a throttled address, each is counted under its name; only a site administrator's
/// token or session may read it, and with metrics off (the default) there is nothing to read.
/// </summary>
public sealed partial class MetricsTests
{
    private const string Password = "metrics passphrase";

    /// <remarks>
    /// A server process of its own, as in production: metrics are per process, and the other tests'
    /// servers in this one would add to the counts.
    /// </remarks>
    [Fact]
    public async Task A_scrape_after_a_push_two_clones_wrong_tokens_and_a_throttled_address_counts_each()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-metrics-").FullName;
        try
        {
            var settings = new Dictionary<string, string>(await TestDatabase.SettingsForAsync(data))
            {
                ["Metrics:Enabled"] = "true",
                ["Security:FailureLimit"] = "3",
            };
            await using var node = await ServerProcess.StartAsync(data, settings);
            await CountsEachAsync(node);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task CountsEachAsync(ServerProcess node)
    {
        // The first account is the site administrator.
        using var web = new WebSession(node.BaseAddress);
        await web.SignUpAsync("ops", Password);
        await web.CreateRepositoryAsync("log", isPrivate: true);
        var token = await web.CreateTokenAsync("push", ["repo"]);
        var scrapeToken = await web.CreateTokenAsync("prometheus", ["site_admin"]);
        using var git = new GitClient();
        var local = await git.NewLocalRepositoryAsync("log");
        var url = node.Url("/ops/log.git");
        var push = await git.PushAsync(local, url, "ops", token);
        Assert.True(push.Succeeded, push.ToString());
        foreach (var name in new[] { "first", "second" })
        {
            var clone = await git.RunAsync(null, "ops", token, "clone", "--bare", "--quiet", url, name);
            Assert.True(clone.Succeeded, clone.ToString());
        }

        // Three wrong tokens (the limit), then a fourth from the same address is refused with 429.
        // Well formed, checksum right, never issued: each one is looked up and not found.
        var wrong = Latchkey.Tokens.TokenFormat.Generate(Latchkey.Tokens.TokenKind.Classic);
        using var anyone = new HttpClient();
        HttpStatusCode last = 0;
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, node.Url("/api/v3/user"));
            request.Headers.UserAgent.ParseAdd("metrics-test");
            request.Headers.TryAddWithoutValidation("Authorization", "token " + wrong);
            using var response = await anyone.SendAsync(request);
            last = response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, last);

        // A push holding a live token is refused by push protection.
        var leaked = await web.CreateTokenAsync("leaked", ["repo"]);
        await git.CommitFileAsync("log", "deploy.env", $"TOKEN={leaked}\n", "Add deploy settings");
        var refused = await git.PushAsync(local, url, "ops", token);
        Assert.False(refused.Succeeded, refused.ToString());

        var (status, metrics) = await GetAsync(node.BaseAddress, scrapeToken);
        Assert.Equal(HttpStatusCode.OK, status);
        // Two pushes (receive-pack ends well when its hook refuses: the refusal is in its answer, not
        // its exit status), one of them refused; two clones, each two upload-pack calls in git's protocol
        // v2 (ls-refs, then fetch).
        Assert.Equal(2, Value(metrics, "latchkey_git_operations_total", ("service", "receive-pack"), ("outcome", "ok")));
        Assert.Equal(1, Value(metrics, "latchkey_push_protection_rejections_total"));
        Assert.Equal(4, Value(metrics, "latchkey_git_operations_total", ("service", "upload-pack"), ("outcome", "ok")));
        Assert.True(Value(metrics, "latchkey_git_bytes_total", ("service", "upload-pack"), ("direction", "sent")) > 0, metrics);
        Assert.True(Value(metrics, "latchkey_git_bytes_total", ("service", "receive-pack"), ("direction", "received")) > 0, metrics);
        // The second clone asked for exactly what the first did: the pack was generated once.
        Assert.Equal(1, Value(metrics, "latchkey_pack_cache_requests_total", ("outcome", "miss")));
        Assert.Equal(1, Value(metrics, "latchkey_pack_cache_requests_total", ("outcome", "hit")));
        // Every token presented is verified (a valid one is never throttled), the refused fourth too.
        Assert.Equal(4, Value(metrics, "latchkey_token_verifications_total", ("result", "unknown")));
        Assert.True(Value(metrics, "latchkey_token_verifications_total", ("result", "valid")) >= 3, metrics);
        Assert.Equal(1, Value(metrics, "latchkey_throttle_refusals_total", ("kind", "token")));
        // Requests and their latency, per door.
        Assert.True(Value(metrics, "http_server_request_duration_seconds_count", ("latchkey_door", "git")) >= 6, metrics);
        Assert.Equal(4, Value(metrics, "http_server_request_duration_seconds_count", ("latchkey_door", "api")));
        Assert.Equal(1, Value(metrics, "http_server_request_duration_seconds_count", ("latchkey_door", "api"), ("http_response_status_code", "429")));
        Assert.True(Value(metrics, "http_server_request_duration_seconds_count", ("latchkey_door", "web")) >= 1, metrics);
        Assert.Contains("service_name=\"latchkey\"", metrics, StringComparison.Ordinal);
        // Every series the Grafana dashboard in deploy/ plots is one this scrape has.
        var plotted = DashboardSeries();
        Assert.NotEmpty(plotted);
        foreach (var series in plotted)
            Assert.True(metrics.Contains("\n" + series, StringComparison.Ordinal), $"deploy/grafana-dashboard.json plots {series}, which the server does not export");
        // No secret in what is scraped.
        Assert.DoesNotContain(wrong, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(token, metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_site_administrators_token_may_scrape_and_with_metrics_off_there_is_nothing()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Metrics:Enabled"] = "true" });
        var admin = server.NewBrowserSession();
        await admin.SignUpAsync("root", Password);
        var adminWithoutScope = await admin.CreateTokenAsync("no site_admin", ["repo"]);
        var scrapeToken = await admin.CreateTokenAsync("prometheus", ["site_admin"]);
        var member = server.NewBrowserSession();
        await member.SignUpAsync("member", Password);
        var memberToken = await member.CreateTokenAsync("curious", ["repo", "admin:org"]);

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(server.BaseAddress, null)).Status);
        var (scopeStatus, scopeBody) = await GetAsync(server.BaseAddress, adminWithoutScope);
        Assert.Equal(HttpStatusCode.Forbidden, scopeStatus);
        Assert.DoesNotContain("latchkey_", scopeBody, StringComparison.Ordinal);
        var (memberStatus, memberBody) = await GetAsync(server.BaseAddress, memberToken);
        Assert.True(memberStatus is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{memberStatus}: {memberBody}");
        Assert.DoesNotContain("latchkey_", memberBody, StringComparison.Ordinal);
        var (adminStatus, adminBody) = await GetAsync(server.BaseAddress, scrapeToken);
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Contains("# TYPE", adminBody, StringComparison.Ordinal);

        await using var off = await LatchkeyServer.StartAsync();
        var offAdmin = off.NewBrowserSession();
        await offAdmin.SignUpAsync("root", Password);
        var offToken = await offAdmin.CreateTokenAsync("prometheus", ["site_admin"]);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(off.BaseAddress, offToken)).Status);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri server, string? token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, "api/v3/metrics"));
        request.Headers.UserAgent.ParseAdd("prometheus-test");
        if (token is not null)
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The metric names in the dashboard's queries (each is followed by its label selector).</summary>
    private static List<string> DashboardSeries()
    {
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SourceTree.PathOf("deploy", "grafana-dashboard.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .SelectMany(target => SeriesName().Matches(target.GetProperty("expr").GetString()!).Select(m => m.Value))
            .Distinct()
            .ToList();
    }

    [GeneratedRegex(@"\b(latchkey|http_server)_[a-z0-9_]+(?=\{)")]
    private static partial Regex SeriesName();

    /// <summary>The sum over every series of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string metrics, string name, params (string Key, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in metrics.Split('\n'))
        {
            var match = Series().Match(line);
            if (!match.Success || match.Groups["name"].Value != name)
                continue;
            var found = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (labels.All(l => found.TryGetValue(l.Key, out var v) && v == l.Value))
                sum += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return sum;
    }

    // Label values may hold braces (http_route="/{owner}/{repo}/info/refs"): only quoted text or a non-brace between.
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>(?:""(?:[^""\\]|\\.)*""|[^""}])*)\})? (?<value>[-+0-9.eE]+|NaN|[+-]Inf)( \d+)?$")]
    private static partial Regex Series();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
