using System.Net;
using System.Text;
using Latchkey.Notifications;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// The token lifecycle holds for fine-grained tokens as for classic ones: expiry to the second,
/// reminders by mail, leak reports and push protection revoke them, and a per-user limit.
/// </summary>
public sealed class FineGrainedLifecycleTests
{
    private const string Password = "fine grained lifecycle passphrase";

    private static async Task<HttpStatusCode> UserAsync(LatchkeyServer server, string token)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("lifecycle-test");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.GetAsync("api/v3/user");
        return response.StatusCode;
    }

    [Fact]
    public async Task A_fine_grained_token_stops_at_its_expiry_and_its_owner_is_reminded_first()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("ivy", Password);
        var token = await server.IssueAsync("ivy", RepositoryAccess.All, name: "deploy", permissions: Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));

        server.Clock.Advance(TimeSpan.FromDays(24));
        using (var scope = server.Services.CreateScope())
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<ExpiryReminders>().RunOnceAsync(CancellationToken.None));
        var mail = await File.ReadAllTextAsync(Assert.Single(Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "mail"), "*.eml")));
        Assert.Contains("fine-grained personal access token \"deploy\"", mail, StringComparison.Ordinal);
        Assert.Contains("/settings/personal-access-tokens/", mail, StringComparison.Ordinal);

        server.Clock.Advance(TimeSpan.FromDays(6) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await UserAsync(server, token));
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await UserAsync(server, token));
        // A month later the web session has long ended: sign in again to read the log.
        using var later = server.NewBrowserSession();
        await later.SignInAsync("ivy", Password);
        Assert.Contains("\"deploy\" used after it expired", WebUtility.HtmlDecode((await later.GetAsync("/settings/security-log")).Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_leaked_fine_grained_token_is_revoked_by_a_report_and_by_push_protection()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("jade", Password);
        await web.CreateRepositoryAsync("site", addReadme: true);
        var classic = await web.CreateTokenAsync("push", ["repo"]);

        var reported = await server.IssueAsync("jade", RepositoryAccess.All, name: "reported");
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        using (var response = await http.PostAsync("api/v3/credentials/revoke", new StringContent($"{{\"credentials\":[\"{reported}\"]}}", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await UserAsync(server, reported));

        var committed = await server.IssueAsync("jade", RepositoryAccess.All, name: "committed", permissions: Permissions((FineGrainedPermissions.Contents, PermissionLevel.Write)));
        using var git = new GitClient();
        var url = server.Url("/jade/site.git");
        Assert.True((await git.CloneAsync(url, "site", "jade", classic)).Succeeded);
        await git.CommitFileAsync("site", "deploy.env", $"TOKEN={committed}\n", "Add deploy settings");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "site"), url, "jade", classic);
        Assert.False(push.Succeeded, "a push holding a live fine-grained token was accepted");
        Assert.Contains("Push cannot contain secrets", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UserAsync(server, committed));
        var log = WebUtility.HtmlDecode((await web.GetAsync("/settings/security-log")).Body);
        Assert.Contains("\"committed\" · fine-grained", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_may_hold_only_the_configured_number_of_fine_grained_tokens()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:MaxFineGrainedPerUser"] = "2" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("kim", Password);
        await server.IssueAsync("kim", RepositoryAccess.PublicOnly, name: "one");
        await server.IssueAsync("kim", RepositoryAccess.PublicOnly, name: "two");
        using var scope = server.Services.CreateScope();
        var tokens = scope.ServiceProvider.GetRequiredService<TokenIssuer>();
        var user = await scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Latchkey.Accounts.User>>().FindByNameAsync("kim");
        var (_, plaintext, error) = await tokens.CreateFineGrainedAsync(user!.Id,
            new FineGrainedRequest("three", null, RepositoryAccess.PublicOnly, [], PermissionSet.Empty), server.Clock.GetUtcNow().UtcDateTime.AddDays(7), CancellationToken.None);
        Assert.Null(plaintext);
        Assert.Equal("You have reached the limit of 2 fine-grained personal access tokens. Delete one you no longer use first.", error);
        // Classic tokens are not counted against it.
        await web.CreateTokenAsync("classic", ["repo"]);
    }
}
