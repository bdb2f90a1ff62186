using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// New-network alerts across nodes (issue #18): two server processes share one PostgreSQL database
/// and one data directory (so one mail folder). A token used from a new network on both nodes at once
/// mails its owner once, with no server error from the sighting's unique key; the link one node mailed
/// works on the other (the Data Protection keys are in the database).
/// </summary>
public sealed class NewNetworkAlertNodeTests : IAsyncLifetime
{
    private const string Password = "new network node passphrase";
    private string _data = "";
    private ServerProcess? _one;
    private ServerProcess? _two;

    public async Task InitializeAsync()
    {
        _data = Directory.CreateTempSubdirectory("latchkey-alert-nodes-").FullName;
        var settings = await TestDatabase.SettingsForAsync(_data);
        _one = await ServerProcess.StartAsync(_data, settings);
        _two = await ServerProcess.StartAsync(_data, settings);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in new[] { _one, _two })
        {
            if (node is not null)
                await node.DisposeAsync();
        }
        await TestDatabase.DropAsync(_data);
        Directory.Delete(_data, recursive: true);
    }

    private List<string> Alerts()
    {
        var folder = Path.Combine(_data, "mail");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.eml").Select(path => MimeKit.MimeMessage.Load(path))
                .Where(mail => (mail.Subject ?? "").Contains("was used from a new network", StringComparison.Ordinal))
                .Select(mail => mail.TextBody ?? "").ToList()
            : [];
    }

    private static async Task<HttpStatusCode> UserAsync(ServerProcess node, string token, IPAddress from)
    {
        using var http = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = node.BaseAddress };
        http.DefaultRequestHeaders.Add("Authorization", "Bearer " + token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("node-test");
        using var response = await http.GetAsync("api/v3/user");
        return response.StatusCode;
    }

    [Fact]
    public async Task A_new_network_seen_on_both_nodes_at_once_mails_once_and_the_link_works_on_either()
    {
        var one = _one!;
        var two = _two!;
        using var dana = new WebSession(one.BaseAddress);
        await dana.SignUpAsync("dana", Password);
        var token = await dana.CreateTokenAsync("build", ["repo"]);
        Assert.Equal(HttpStatusCode.OK, await UserAsync(one, token, IPAddress.Parse("127.0.0.1")));
        Assert.Equal(HttpStatusCode.OK, await UserAsync(two, token, IPAddress.Parse("127.0.0.1")));

        // Twenty requests from one new /24, split over both nodes, at once.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            UserAsync(i % 2 == 0 ? one : two, token, IPAddress.Parse($"127.0.7.{i + 1}"))));
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var mail = Assert.Single(Alerts());
        Assert.Contains("Network: 127.0.7.0/24", mail, StringComparison.Ordinal);
        Assert.DoesNotContain("Could not record a network", one.Output + two.Output, StringComparison.Ordinal);

        // The link, opened on the other node than the one that mailed it (either may have), revokes the token.
        var link = Regex.Match(mail, @"http://127\.0\.0\.1:\d+(/settings/tokens/revoke-from-alert\?t=[A-Za-z0-9_-]+)");
        Assert.True(link.Success, mail);
        var mailedBy = link.Value.StartsWith(one.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal) ? one : two;
        var other = mailedBy == one ? two : one;
        using var phone = new WebSession(other.BaseAddress, from: IPAddress.Parse("127.0.9.9"));
        using (var revoke = await phone.PostFormAsync(link.Groups[1].Value, []))
            Assert.True(revoke.StatusCode == HttpStatusCode.OK, await revoke.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await UserAsync(mailedBy, token, IPAddress.Parse("127.0.0.1")));
        Assert.Equal(HttpStatusCode.Gone, (await phone.GetAsync(link.Groups[1].Value)).Status);
    }
}
