using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// New-network alerts (issue #18): a token's first use from a network (IPv4 /24, IPv6 /48) after its
/// first one mails its owner once, with the token's name, the time, the network, the client and a
/// link that revokes the token: its GET only asks, its POST revokes, once; an altered or expired
/// link is refused with a page that says so. The token's pages list its networks.
/// </summary>
public sealed class NewNetworkAlertTests
{
    private const string Password = "new network alert passphrase";
    private const string Subject = "was used from a new network";

    private static readonly IPAddress Office = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress Elsewhere = IPAddress.Parse("127.0.1.9");
    private static readonly IPAddress ElsewhereToo = IPAddress.Parse("127.0.1.200");
    private static readonly IPAddress Phone = IPAddress.Parse("127.0.2.3");

    /// <summary>The alert mails (subject and text, decoded as a mail reader shows them), oldest first.</summary>
    private static List<string> Alerts(LatchkeyServer server)
    {
        var folder = Path.Combine(server.DataDirectory, "mail");
        if (!Directory.Exists(folder))
            return [];
        return Directory.EnumerateFiles(folder, "*.eml").Order(StringComparer.Ordinal)
            .Select(path => MimeKit.MimeMessage.Load(path))
            .Select(mail => $"To: {mail.To}\nSubject: {mail.Subject}\n\n{(mail.TextBody ?? "").ReplaceLineEndings("\n")}")
            .Where(text => text.Contains(Subject, StringComparison.Ordinal))
            .ToList();
    }

    private static async Task<(HttpStatusCode Status, string Body)> ApiAsync(LatchkeyServer server, string path, string token, IPAddress from, string? agent)
    {
        using var http = new HttpClient(WebSession.Handler(null, from));
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url("/api/v3/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (agent is not null)
            request.Headers.UserAgent.ParseAdd(agent);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string LinkIn(string mail)
    {
        var link = Regex.Match(mail, @"http://127\.0\.0\.1:\d+/settings/tokens/revoke-from-alert\?t=([A-Za-z0-9_-]+)");
        Assert.True(link.Success, "the mail has no revoke link:\n" + mail);
        return link.Value;
    }

    private static string PathOf(string link) => new Uri(link).PathAndQuery;

    private static async Task<long> TokenIdAsync(LatchkeyServer server, string token)
    {
        var (status, body) = await ApiAsync(server, "user/token", token, Office, "id-lookup");
        Assert.True(status == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task A_new_network_mails_the_owner_once_and_the_link_revokes_the_token_once()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var bob = server.NewBrowserSession();
        await bob.SignUpAsync("bob", Password, email: "bob@example.test");
        var token = await bob.CreateTokenAsync("deploy key", ["repo"]);

        // The first network is the token's baseline: no mail.
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Office, "office-tool/1.0")).Status);
        var id = await TokenIdAsync(server, token);
        Assert.Empty(Alerts(server));

        // Another /24: one mail to the owner, with the name, the time, the network, the client and a link.
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Elsewhere, "roaming-tool/2.0")).Status);
        var mail = Assert.Single(Alerts(server));
        Assert.Contains("bob@example.test", mail, StringComparison.Ordinal);
        Assert.Contains("Your personal access token \"deploy key\" was used from a new network", mail, StringComparison.Ordinal);
        Assert.Contains("Network: 127.0.1.0/24", mail, StringComparison.Ordinal);
        Assert.Contains("User agent: roaming-tool/2.0", mail, StringComparison.Ordinal);
        Assert.Contains($"Time: {server.Clock.GetUtcNow().UtcDateTime:yyyy-MM-dd HH:mm}", mail, StringComparison.Ordinal);
        Assert.Contains($"/settings/tokens/{id}", mail, StringComparison.Ordinal);
        Assert.DoesNotContain(token, mail, StringComparison.Ordinal);
        Assert.DoesNotContain(token[4..], mail, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.1.9", mail, StringComparison.Ordinal);
        var link = LinkIn(mail);

        // The same network again, from another address in it, and later: no second mail.
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, ElsewhereToo, "roaming-tool/2.1")).Status);
        server.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, ElsewhereToo, "roaming-tool/2.2")).Status);
        Assert.Single(Alerts(server));

        // The security log says it, and the token's page lists both networks, newest first, with the last client.
        var (_, log) = await bob.GetAsync("/settings/security-log");
        Assert.Contains("personal_access_token.new_network", log, StringComparison.Ordinal);
        Assert.Contains("&quot;deploy key&quot; used from a new network, 127.0.1.0/24", log, StringComparison.Ordinal);
        var (pageStatus, page) = await bob.GetAsync($"/settings/tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, pageStatus);
        var listed = Regex.Matches(page, "data-token-network=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["127.0.1.0/24", "127.0.0.0/24"], listed);
        Assert.Contains("roaming-tool/2.2", page, StringComparison.Ordinal);

        // Opened signed out (a phone): GET asks and changes nothing.
        using var phone = server.NewBrowserSession(Phone);
        var (askStatus, ask) = await phone.GetAsync(PathOf(link));
        Assert.True(askStatus == HttpStatusCode.OK, ask);
        Assert.Contains("data-revoke-token>deploy key<", ask, StringComparison.Ordinal);
        Assert.Contains("127.0.1.0/24", ask, StringComparison.Ordinal);
        Assert.Contains("Revoke this token", ask, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Office, "office-tool/1.0")).Status);

        // Altered, cut or missing: refused, the token untouched.
        var tampered = link[..^3] + (link[^3] == 'A' ? 'B' : 'A') + link[^2..];
        foreach (var bad in new[] { PathOf(tampered), PathOf(link)[..^20], "/settings/tokens/revoke-from-alert", "/settings/tokens/revoke-from-alert?t=%25%00%20", "/settings/tokens/revoke-from-alert?t=" + new string('x', 5000) })
        {
            var (badStatus, badPage) = await phone.GetAsync(bad);
            Assert.True(badStatus == HttpStatusCode.BadRequest, $"{bad} answered {badStatus}:\n{badPage}");
            Assert.Contains("This link is invalid", badPage, StringComparison.Ordinal);
        }
        using (var forged = await phone.PostFormAsync(PathOf(link), [new("t", tampered.Split("?t=")[1])], action: "/settings/tokens/revoke-from-alert"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Contains("This link is invalid", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Office, "office-tool/1.0")).Status);

        // POST revokes: the token is refused at once, and the owner's security log says how.
        using (var revoke = await phone.PostFormAsync(PathOf(link), []))
        {
            var body = await revoke.Content.ReadAsStringAsync();
            Assert.True(revoke.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("data-revoke-done>The token &ldquo;deploy key&rdquo; (&hellip;" + token[^8..] + ") is revoked.", body, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await ApiAsync(server, "user", token, Office, "office-tool/1.0")).Status);
        var (_, after) = await bob.GetAsync("/settings/security-log");
        Assert.Contains("revoked from the link in the mail about its use from 127.0.1.0/24", after, StringComparison.Ordinal);

        // Once: the link again, by GET or POST (with the page's earlier form), says it was used.
        var (usedStatus, used) = await phone.GetAsync(PathOf(link));
        Assert.Equal(HttpStatusCode.Gone, usedStatus);
        Assert.Contains("This link has already been used", used, StringComparison.Ordinal);
        var form = new FormUrlEncodedContent([new("t", link.Split("?t=")[1]), new("__RequestVerificationToken", WebSession.AntiforgeryTokenIn(ask))]);
        using (var again = await phone.Http.PostAsync("settings/tokens/revoke-from-alert", form))
        {
            Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
            Assert.Contains("This link has already been used", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Single(Alerts(server));
    }

    [Fact]
    public async Task An_expired_link_revokes_nothing_and_fine_grained_tokens_list_their_networks_too()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var alice = server.NewBrowserSession();
        await alice.SignUpAsync("alice", Password);
        var token = await alice.CreateFineGrainedTokenAsync("ci runner", expiration: "30");

        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Office, "ci/1")).Status);
        Assert.Empty(Alerts(server));
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Elsewhere, "ci/2")).Status);
        var mail = Assert.Single(Alerts(server));
        Assert.Contains("Your personal access token \"ci runner\" was used from a new network", mail, StringComparison.Ordinal);
        Assert.Contains("fine-grained personal access token", mail, StringComparison.Ordinal);
        var link = LinkIn(mail);

        // A client that names itself nothing: mailed as such.
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, IPAddress.Parse("127.0.5.5"), null)).Status);
        Assert.Equal(2, Alerts(server).Count);
        Assert.Contains("Network: 127.0.5.0/24\nUser agent: none", Alerts(server)[1], StringComparison.Ordinal);

        var id = await TokenIdAsync(server, token);
        var (pageStatus, page) = await alice.GetAsync($"/settings/personal-access-tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, pageStatus);
        var listed = Regex.Matches(page, "data-token-network=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["127.0.5.0/24", "127.0.1.0/24", "127.0.0.0/24"], listed);

        // Past its seven days the link only says so; the token keeps working.
        using var phone = server.NewBrowserSession(Phone);
        var (_, ask) = await phone.GetAsync(PathOf(link));
        server.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var (expiredStatus, expired) = await phone.GetAsync(PathOf(link));
        Assert.Equal(HttpStatusCode.Gone, expiredStatus);
        Assert.Contains("This link has expired", expired, StringComparison.Ordinal);
        var form = new FormUrlEncodedContent([new("t", link.Split("?t=")[1]), new("__RequestVerificationToken", WebSession.AntiforgeryTokenIn(ask))]);
        using (var late = await phone.Http.PostAsync("settings/tokens/revoke-from-alert", form))
        {
            Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
            Assert.Contains("This link has expired", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Office, "ci/1")).Status);
        Assert.Equal(2, Alerts(server).Count);
    }

    [Fact]
    public async Task A_link_mailed_before_the_token_was_regenerated_does_not_revoke_the_new_secret()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var carol = server.NewBrowserSession();
        await carol.SignUpAsync("carol", Password);
        var token = await carol.CreateTokenAsync("backup", ["repo"]);
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Office, "backup/1")).Status);
        var id = await TokenIdAsync(server, token);
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", token, Elsewhere, "backup/1")).Status);
        var link = LinkIn(Assert.Single(Alerts(server)));

        using (var regenerate = await carol.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "30")]))
            Assert.Equal(HttpStatusCode.Redirect, regenerate.StatusCode);
        var (_, list) = await carol.GetAsync("/settings/tokens");
        var renewed = WebSession.NewTokenBox().Match(list).Groups[1].Value;
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", renewed, Office, "backup/2")).Status);

        using var phone = server.NewBrowserSession(Phone);
        var (status, page) = await phone.GetAsync(PathOf(link));
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("The token was regenerated since this mail was sent", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await ApiAsync(server, "user", renewed, Office, "backup/2")).Status);
    }
}
