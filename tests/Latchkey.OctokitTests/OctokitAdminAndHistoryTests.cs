using Latchkey.Tests.Support;
using Octokit;

namespace Latchkey.OctokitTests;

/// <summary>Branches, commits, emails and the site administration API through Octokit.</summary>
public sealed class OctokitAdminAndHistoryTests
{
    private const string Password = "octokit admin passphrase";

    private static GitHubClient Client(LatchkeyServer server, string token) =>
        new(new ProductHeaderValue("latchkey-tests"), server.BaseAddress) { Credentials = new Credentials(token) };

    [Fact]
    public async Task Branches_commits_and_emails_read_through_octokit()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("historian", Password, "historian@example.test");
        var client = Client(server, await web.CreateTokenAsync("octokit", ["repo", "user"]));
        await client.Repository.Create(new NewRepository("log") { AutoInit = true });
        await client.Repository.Content.CreateFile("historian", "log", "a.txt", new CreateFileRequest("Add a", "a\n"));

        var branch = Assert.Single(await client.Repository.Branch.GetAll("historian", "log"));
        Assert.Equal("main", branch.Name);
        var main = await client.Repository.Branch.Get("historian", "log", "main");
        var commits = await client.Repository.Commit.GetAll("historian", "log");
        Assert.Equal(["Add a", "Initial commit"], commits.Select(c => c.Commit.Message).ToArray());
        Assert.Equal(main.Commit.Sha, commits[0].Sha);
        var one = await client.Repository.Commit.Get("historian", "log", commits[1].Sha);
        Assert.Equal("Initial commit", one.Commit.Message);

        var email = Assert.Single(await client.User.Email.GetAll());
        Assert.Equal("historian@example.test", email.Email);
        Assert.True(email.Primary);
    }

    [Fact]
    public async Task A_site_administrator_creates_suspends_and_deletes_users_through_octokit()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var adminWeb = server.NewBrowserSession();
        await adminWeb.SignUpAsync("root", Password);
        var admin = Client(server, await adminWeb.CreateTokenAsync("admin", ["site_admin"]));
        var notEnough = Client(server, await adminWeb.CreateTokenAsync("repo only", ["repo"]));
        using var bobWeb = server.NewBrowserSession();
        await bobWeb.SignUpAsync("bob", Password);
        var bob = Client(server, await bobWeb.CreateTokenAsync("bob", ["repo"]));

        var created = await admin.User.Administration.Create(new NewUser("carol", "carol@example.test"));
        Assert.Equal("carol", created.Login);
        await Assert.ThrowsAsync<ForbiddenException>(() => notEnough.User.Administration.Create(new NewUser("dave", "dave@example.test")));
        await Assert.ThrowsAsync<NotFoundException>(() => bob.User.Administration.Create(new NewUser("eve", "eve@example.test")));

        Assert.Equal("bob", (await bob.User.Current()).Login);
        await admin.User.Administration.Suspend("bob");
        await Assert.ThrowsAsync<AuthorizationException>(() => bob.User.Current());
        await admin.User.Administration.Unsuspend("bob");
        Assert.Equal("bob", (await bob.User.Current()).Login);

        await admin.User.Administration.Delete("carol");
        await Assert.ThrowsAsync<NotFoundException>(() => admin.User.Get("carol"));
        Assert.Empty(server.FiveHundreds);
    }
}
