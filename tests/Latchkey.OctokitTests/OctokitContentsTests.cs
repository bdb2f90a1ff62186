using Latchkey.Tests.Support;
using Octokit;

namespace Latchkey.OctokitTests;

/// <summary>Files through Octokit's contents client: real commits, readable by git and the web.</summary>
public sealed class OctokitContentsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "octokit contents passphrase";
    private LatchkeyServer Server => fixture.Server;

    [Fact]
    public async Task Octokit_creates_reads_updates_and_deletes_files_as_real_commits()
    {
        var name = fixture.NewUsername("writer");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password, $"{name}@example.test");
        var token = await web.CreateTokenAsync("octokit", ["repo"]);
        var client = new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(token) };
        await client.Repository.Create(new NewRepository("docs") { AutoInit = true, Description = "Docs" });

        var readme = await client.Repository.Content.GetReadme(name, "docs");
        Assert.Contains("# docs", readme.Content, StringComparison.Ordinal);

        var created = await client.Repository.Content.CreateFile(name, "docs", "guide/intro.md", new CreateFileRequest("Add the intro", "# Intro\n\nHello.\n"));
        Assert.Equal("intro.md", created.Content.Name);
        Assert.Equal("Add the intro", created.Commit.Message);
        Assert.Equal(name, created.Commit.Author.Name);
        Assert.Single(created.Commit.Parents);

        var read = Assert.Single(await client.Repository.Content.GetAllContents(name, "docs", "guide/intro.md"));
        Assert.Equal("# Intro\n\nHello.\n", read.Content);
        var folder = await client.Repository.Content.GetAllContents(name, "docs", "guide");
        Assert.Equal("intro.md", Assert.Single(folder).Name);

        // Updating needs the current blob sha, as on GitHub.
        var stale = await Assert.ThrowsAsync<ApiException>(() =>
            client.Repository.Content.UpdateFile(name, "docs", "guide/intro.md", new UpdateFileRequest("Change", "changed\n", "0000000000000000000000000000000000000000")));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("guide/intro.md does not match 0000000000000000000000000000000000000000", stale.Message);
        var updated = await client.Repository.Content.UpdateFile(name, "docs", "guide/intro.md", new UpdateFileRequest("Change the intro", "Changed.\n", read.Sha));
        Assert.NotEqual(read.Sha, updated.Content.Sha);

        // The commit is real: git sees it, and the web shows the file.
        using var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/{name}/docs.git"), "docs", name, token);
        Assert.True(clone.Succeeded, clone.ToString());
        Assert.Equal("Changed.\n", await File.ReadAllTextAsync(Path.Combine(git.WorkDirectory, "docs", "guide", "intro.md")));
        var log = await git.RunAsync(Path.Combine(git.WorkDirectory, "docs"), null, null, "log", "--format=%s");
        Assert.Equal("Change the intro\nAdd the intro\nInitial commit\n", log.Output);

        await client.Repository.Content.DeleteFile(name, "docs", "guide/intro.md", new DeleteFileRequest("Remove the intro", updated.Content.Sha));
        await Assert.ThrowsAsync<NotFoundException>(() => client.Repository.Content.GetAllContents(name, "docs", "guide/intro.md"));
    }

    [Fact]
    public async Task A_file_holding_a_live_token_is_refused_and_the_token_revoked()
    {
        var name = fixture.NewUsername("leaky");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var token = await web.CreateTokenAsync("octokit", ["repo"]);
        var victim = await web.CreateTokenAsync("victim", ["repo"]);
        var client = new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(token) };
        await client.Repository.Create(new NewRepository("app") { AutoInit = true });

        var refused = await Assert.ThrowsAsync<ApiException>(() =>
            client.Repository.Content.CreateFile(name, "app", "ci.env", new CreateFileRequest("CI settings", $"TOKEN={victim}\n")));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Push cannot contain secrets", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotFoundException>(() => client.Repository.Content.GetAllContents(name, "app", "ci.env"));
        var dead = new GitHubClient(new ProductHeaderValue("latchkey-tests"), Server.BaseAddress) { Credentials = new Credentials(victim) };
        await Assert.ThrowsAsync<AuthorizationException>(() => dead.User.Current());
    }
}
