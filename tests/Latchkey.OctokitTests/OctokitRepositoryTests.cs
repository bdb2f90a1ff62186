using Latchkey.Tests.Support;
using Octokit;

namespace Latchkey.OctokitTests;

/// <summary>Octokit, the .NET GitHub client, pointed at Latchkey as at GitHub Enterprise Server, using only its own methods.</summary>
public sealed class OctokitRepositoryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "octokit passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Name, GitHubClient Client, WebSession Web)> SignedInClientAsync(params string[] scopes)
    {
        var name = fixture.NewUsername("octo");
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password, $"{name}@example.test");
        var token = await web.CreateTokenAsync("octokit", scopes);
        var client = new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(token) };
        return (name, client, web);
    }

    [Fact]
    public async Task Octokit_reads_the_current_user()
    {
        var (name, client, web) = await SignedInClientAsync("repo", "user");
        using var _ = web;
        var user = await client.User.Current();
        Assert.Equal(name, user.Login);
        Assert.Equal($"{name}@example.test", user.Email);
        Assert.EndsWith($"/{name}", user.HtmlUrl, StringComparison.Ordinal);
        var info = client.GetLastApiInfo();
        Assert.Contains("repo", info.OauthScopes);
        Assert.Contains("user", info.OauthScopes);
    }

    [Fact]
    public async Task Octokit_creates_lists_gets_updates_and_deletes_repositories()
    {
        var (name, client, web) = await SignedInClientAsync("repo", "delete_repo");
        using var _ = web;
        var created = await client.Repository.Create(new NewRepository("octo-made") { Description = "Made by Octokit", Private = true, AutoInit = true });
        Assert.Equal("octo-made", created.Name);
        Assert.Equal($"{name}/octo-made", created.FullName);
        Assert.True(created.Private);
        Assert.Equal(Server.Url($"/{name}/octo-made.git"), created.CloneUrl);

        await client.Repository.Create(new NewRepository("second"));
        var mine = await client.Repository.GetAllForCurrent();
        Assert.Equal(["octo-made", "second"], mine.Select(r => r.Name).Order(StringComparer.Ordinal).ToArray());
        var publicOnly = await client.Repository.GetAllForUser(name);
        Assert.Equal(["second"], publicOnly.Select(r => r.Name).ToArray());

        var fetched = await client.Repository.Get(name, "octo-made");
        Assert.Equal("Made by Octokit", fetched.Description);
        Assert.Equal("main", fetched.DefaultBranch);
        Assert.True(fetched.Permissions.Admin);

        var updated = await client.Repository.Edit(name, "octo-made", new RepositoryUpdate { Name = "octo-renamed", Description = "Renamed", Private = false });
        Assert.Equal("octo-renamed", updated.Name);
        Assert.False(updated.Private);
        await Assert.ThrowsAsync<NotFoundException>(() => client.Repository.Get(name, "octo-made"));

        await client.Repository.Delete(name, "octo-renamed");
        await Assert.ThrowsAsync<NotFoundException>(() => client.Repository.Get(name, "octo-renamed"));
    }

    [Fact]
    public async Task Octokit_sees_the_errors_github_would_give()
    {
        var (name, client, web) = await SignedInClientAsync("public_repo");
        using var _ = web;
        await client.Repository.Create(new NewRepository("open"));
        var duplicate = await Assert.ThrowsAsync<RepositoryExistsException>(() => client.Repository.Create(new NewRepository("open")));
        Assert.Equal("open", duplicate.RepositoryName);
        var forbidden = await Assert.ThrowsAsync<ForbiddenException>(() => client.Repository.Create(new NewRepository("closed") { Private = true }));
        Assert.Contains("repo scope", forbidden.Message, StringComparison.Ordinal);
        var noDelete = await Assert.ThrowsAsync<ForbiddenException>(() => client.Repository.Delete(name, "open"));
        Assert.Contains("delete_repo", noDelete.Message, StringComparison.Ordinal);

        var anonymous = new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress);
        await Assert.ThrowsAsync<AuthorizationException>(() => anonymous.User.Current());
        var wrong = new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials("lkp_" + new string('0', 36)) };
        var bad = await Assert.ThrowsAsync<AuthorizationException>(() => wrong.User.Current());
        Assert.Equal("Bad credentials", bad.Message);
    }

    [Fact]
    public async Task Octokit_reads_the_rate_limit_without_spending_it()
    {
        var (_, client, web) = await SignedInClientAsync("repo");
        using var _ = web;
        await client.User.Current();
        var before = await client.RateLimit.GetRateLimits();
        var again = await client.RateLimit.GetRateLimits();
        Assert.Equal(5000, before.Resources.Core.Limit);
        Assert.Equal(before.Resources.Core.Remaining, again.Resources.Core.Remaining);
        Assert.Equal(4999, before.Resources.Core.Remaining);
        Assert.True(before.Resources.Core.Reset > DateTimeOffset.UtcNow);
    }
}
