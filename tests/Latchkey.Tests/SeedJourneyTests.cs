using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>The seed journey over real HTTP and the real git: sign up, make a token, push with it.</summary>
public sealed class SeedJourneyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "correct horse battery staple";
    private LatchkeyServer Server => fixture.Server;

    [Fact]
    public async Task Sign_up_create_token_and_repository_then_clone_commit_push_and_see_it_on_the_page()
    {
        var name = fixture.NewUsername("mona");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var token = await web.CreateTokenAsync("laptop", ["repo"]);
        Assert.StartsWith("lkp_", token, StringComparison.Ordinal);
        Assert.Equal(40, token.Length);

        await web.CreateRepositoryAsync("hello-world");
        var (status, empty) = await web.GetAsync($"/{name}/hello-world");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Quick setup", empty, StringComparison.Ordinal);
        Assert.Contains(Server.Url($"/{name}/hello-world.git"), empty, StringComparison.Ordinal);

        using var git = new GitClient();
        var url = Server.Url($"/{name}/hello-world.git");
        var clone = await git.CloneAsync(url, "hello-world", name, token);
        Assert.True(clone.Succeeded, clone.ToString());

        await git.CommitFileAsync("hello-world", "README.md", "# Hello from the command line\n\nPushed with a token.\n", "First commit from the terminal");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "hello-world"), url, name, token, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());

        var (pageStatus, page) = await web.GetAsync($"/{name}/hello-world");
        Assert.Equal(HttpStatusCode.OK, pageStatus);
        Assert.Contains("README.md", page, StringComparison.Ordinal);
        Assert.Contains("First commit from the terminal", page, StringComparison.Ordinal);
        Assert.Contains("<h1 id=\"hello-from-the-command-line\">Hello from the command line</h1>", page, StringComparison.Ordinal);

        // A second clone sees what was pushed.
        var again = await git.CloneAsync(url, "again", name, token);
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("Pushed with a token.", await File.ReadAllTextAsync(Path.Combine(git.WorkDirectory, "again", "README.md")), StringComparison.Ordinal);

        // The token page now says it was used.
        var (_, tokens) = await web.GetAsync("/settings/tokens");
        Assert.Contains("Last used within the last week", tokens, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_is_shown_once_and_never_stored_or_logged_in_plaintext()
    {
        var name = fixture.NewUsername("secret");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var token = await web.CreateTokenAsync("ci", ["repo", "user"]);

        var (_, again) = await web.GetAsync("/settings/tokens");
        Assert.DoesNotContain(token, again, StringComparison.Ordinal);
        Assert.Contains("ci", again, StringComparison.Ordinal);
        Assert.Contains("repo, user", again, StringComparison.Ordinal);
        Assert.Contains("Expires on", again, StringComparison.Ordinal);
        Assert.Contains("Never used", again, StringComparison.Ordinal);

        // Use it once so that verification paths run too.
        using var git = new GitClient();
        await web.CreateRepositoryAsync("kept", addReadme: true);
        var clone = await git.CloneAsync(Server.Url($"/{name}/kept.git"), "kept", name, token);
        Assert.True(clone.Succeeded, clone.ToString());

        var database = await TestDatabase.DumpAsync(Server.DataDirectory);
        Assert.Contains(name, database, StringComparison.Ordinal);
        Assert.DoesNotContain(token, database, StringComparison.Ordinal);
        Assert.DoesNotContain(token, Server.AllLogs, StringComparison.Ordinal);
        Assert.DoesNotContain(token[4..], Server.AllLogs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repository_created_with_a_readme_shows_files_and_can_be_browsed()
    {
        var name = fixture.NewUsername("browse");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("docs", addReadme: true, description: "Project documentation");

        var (_, home) = await web.GetAsync($"/{name}/docs");
        Assert.Contains("Project documentation", home, StringComparison.Ordinal);
        Assert.Contains($"/{name}/docs/blob/main/README.md", home, StringComparison.Ordinal);

        var token = await web.CreateTokenAsync("push", ["repo"]);
        using var git = new GitClient();
        var url = Server.Url($"/{name}/docs.git");
        Assert.True((await git.CloneAsync(url, "docs", name, token)).Succeeded);
        await git.CommitFileAsync("docs", "guide/intro.txt", "Welcome <script>alert(1)</script>\n", "Add guide");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "docs"), url, name, token, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());

        var (treeStatus, tree) = await web.GetAsync($"/{name}/docs/tree/main/guide");
        Assert.Equal(HttpStatusCode.OK, treeStatus);
        Assert.Contains($"/{name}/docs/blob/main/guide/intro.txt", tree, StringComparison.Ordinal);

        var (blobStatus, blob) = await web.GetAsync($"/{name}/docs/blob/main/guide/intro.txt");
        Assert.Equal(HttpStatusCode.OK, blobStatus);
        Assert.Contains("Welcome &lt;script&gt;alert(1)&lt;/script&gt;", blob, StringComparison.Ordinal);

        var (missing, _) = await web.GetAsync($"/{name}/docs/blob/main/nope.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        var (badRef, _) = await web.GetAsync($"/{name}/docs/tree/--output=x/guide");
        Assert.Equal(HttpStatusCode.NotFound, badRef);
    }

    [Fact]
    public async Task Deleting_a_repository_needs_its_name_typed_and_removes_it()
    {
        var name = fixture.NewUsername("deleter");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("doomed", addReadme: true);

        using (var wrong = await web.PostFormAsync($"/{name}/doomed/settings", [new("Verify", "doomed")], $"/{name}/doomed/settings?handler=Delete"))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
            Assert.Contains($"type \"{name}/doomed\" exactly", System.Net.WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }
        var (stillThere, _) = await web.GetAsync($"/{name}/doomed");
        Assert.Equal(HttpStatusCode.OK, stillThere);

        var before = CountBareRepositories();
        using (var right = await web.PostFormAsync($"/{name}/doomed/settings", [new("Verify", $"{name}/doomed")], $"/{name}/doomed/settings?handler=Delete"))
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        var (gone, _) = await web.GetAsync($"/{name}/doomed");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Equal(before - 1, CountBareRepositories());
    }

    private int CountBareRepositories() =>
        Directory.EnumerateDirectories(Path.Combine(Server.DataDirectory, "repositories"), "*.git", SearchOption.AllDirectories).Count();
}
