using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Latchkey.Repositories;
using Latchkey.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// Findings of an attack on the running server, each reproduced as it was reported and now refused:
/// hostile .gitmodules over git and the API (1), ref names looser than git's (7), a replayed flash
/// cookie showing a token again (6), and an error page that took its status from the query (10).
/// </summary>
public sealed class HardeningTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "hardening check passphrase";

    /// <summary>The shapes of CVE-2018-11235 (a name that climbs out of .git/modules) and CVE-2018-17456 (a url read as an option).</summary>
    private const string HostileGitmodules = "[submodule \"../../../../tmp/evil\"]\n\tpath = evil\n\turl = --upload-pack=touch${IFS}/tmp/pwned\n";

    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Owner, WebSession Web, string Token)> OwnerAsync(string stem, bool isPrivate = true)
    {
        var owner = fixture.NewUsername(stem);
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        await web.CreateRepositoryAsync("app", isPrivate, addReadme: true);
        var token = await Server.IssueClassicAsync(owner, ["repo"]);
        return (owner, web, token);
    }

    private async Task<string> ServerPathAsync(string owner, string name)
    {
        using var scope = Server.Services.CreateScope();
        var repo = await scope.ServiceProvider.GetRequiredService<RepositoryService>().FindAsync(owner, name, CancellationToken.None);
        Assert.NotNull(repo);
        return scope.ServiceProvider.GetRequiredService<RepositoryStore>().PathOf(repo);
    }

    private static async Task<GitRun> ServerGitAsync(string repositoryPath, params string[] args)
    {
        using var git = new GitClient();
        return await git.RunAsync(repositoryPath, null, null, args);
    }

    private static async Task AssertCleanAsync(string repositoryPath, string expectedMain)
    {
        var fsck = await ServerGitAsync(repositoryPath, "fsck", "--strict");
        Assert.True(fsck.Succeeded, "The server's repository fails git fsck --strict:\n" + fsck);
        Assert.DoesNotContain("gitmodules", fsck.Output + fsck.Error, StringComparison.Ordinal);
        var main = await ServerGitAsync(repositoryPath, "rev-parse", "refs/heads/main");
        Assert.Equal(expectedMain, main.Output.Trim());
        Assert.Empty(Directory.GetDirectories(Path.Combine(repositoryPath, "objects"), "tmp_objdir-*"));
    }

    private HttpClient Api(string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(Server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("hardening-tests");
        return http;
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_push_with_a_hostile_gitmodules_is_refused_by_gits_fsck_and_changes_nothing()
    {
        var (owner, _, token) = await OwnerAsync("fsckpush");
        using var git = new GitClient();
        var url = Server.Url($"/{owner}/app.git");
        Assert.True((await git.CloneAsync(url, "app", owner, token)).Succeeded);
        var clone = Path.Combine(git.WorkDirectory, "app");
        var path = await ServerPathAsync(owner, "app");
        var before = (await ServerGitAsync(path, "rev-parse", "refs/heads/main")).Output.Trim();

        await git.CommitFileAsync("app", ".gitmodules", HostileGitmodules, "Add a submodule");
        var push = await git.PushAsync(clone, url, owner, token, "HEAD:main");

        Assert.False(push.Succeeded, "The hostile .gitmodules was accepted:\n" + push);
        // git's own words for the problem reach the person pushing.
        Assert.Contains("gitmodulesName", push.Error, StringComparison.Ordinal);
        Assert.Contains("disallowed submodule name", push.Error, StringComparison.Ordinal);
        await AssertCleanAsync(path, before);
    }

    [Fact]
    public async Task A_hostile_gitmodules_written_through_the_contents_api_is_refused_with_gits_words()
    {
        var (owner, _, token) = await OwnerAsync("fsckapi");
        var path = await ServerPathAsync(owner, "app");
        var before = (await ServerGitAsync(path, "rev-parse", "refs/heads/main")).Output.Trim();
        using var api = Api(token);

        using var response = await api.PutAsync($"repos/{owner}/app/contents/.gitmodules",
            Json(new { message = "Add a submodule", content = Convert.ToBase64String(Encoding.UTF8.GetBytes(HostileGitmodules)) }));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("gitmodulesName", body, StringComparison.Ordinal);
        await AssertCleanAsync(path, before);

        // A harmless file still goes through the same checks and lands.
        using var fine = await api.PutAsync($"repos/{owner}/app/contents/docs/notes.md",
            Json(new { message = "Notes", content = Convert.ToBase64String("notes\n"u8.ToArray()) }));
        Assert.Equal(HttpStatusCode.Created, fine.StatusCode);
        var after = (await ServerGitAsync(path, "rev-parse", "refs/heads/main")).Output.Trim();
        Assert.NotEqual(before, after);
        await AssertCleanAsync(path, after);
    }

    [Theory]
    [InlineData("HEAD")]
    [InlineData("refs/heads/main")]
    [InlineData("main.lock")]
    [InlineData("feature/x.")]
    [InlineData("a//b")]
    [InlineData(".hidden")]
    [InlineData("feature/.x")]
    [InlineData("a..b")]
    [InlineData("what?")]
    [InlineData("-option")]
    [InlineData("x@{1}")]
    [InlineData("trailing/")]
    public async Task The_contents_api_refuses_a_branch_name_git_would_refuse_and_creates_no_ref(string branch)
    {
        var (owner, _, token) = await OwnerAsync("refname");
        var path = await ServerPathAsync(owner, "app");
        var refsBefore = (await ServerGitAsync(path, "for-each-ref", "--format=%(refname)")).Output;
        using var api = Api(token);

        using var response = await api.PutAsync($"repos/{owner}/app/contents/file.txt",
            Json(new { message = "On a strange branch", content = Convert.ToBase64String("x\n"u8.ToArray()), branch }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"refs/heads/{branch} is not a valid ref name.", error.GetProperty("message").GetString());
        Assert.Equal(refsBefore, (await ServerGitAsync(path, "for-each-ref", "--format=%(refname)")).Output);
    }

    [Fact]
    public async Task A_valid_nested_branch_name_still_works_through_the_contents_api()
    {
        var (owner, _, token) = await OwnerAsync("refok");
        using var api = Api(token);
        // A new branch through the contents API needs an existing one to start from; main is the default.
        using var response = await api.PutAsync($"repos/{owner}/app/contents/file.txt",
            Json(new { message = "On main", content = Convert.ToBase64String("x\n"u8.ToArray()), branch = "main" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_new_token_is_shown_once_and_a_replayed_flash_cookie_shows_nothing_even_after_signing_in_again()
    {
        var owner = fixture.NewUsername("handover");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        using (var created = await web.PostFormAsync("/settings/tokens/new",
                   [new("Input.Note", "once"), new("Input.Expiration", "30"), new("Input.Scopes", "repo")]))
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        // What an attacker (or a browser history) kept: the flash cookie as the form set it.
        var flash = web.Cookies.GetCookies(Server.BaseAddress)["latchkey_flash"];
        Assert.NotNull(flash);
        var kept = flash.Value;

        var (_, first) = await web.GetAsync("/settings/tokens");
        var token = WebSession.NewTokenBox().Match(first);
        Assert.True(token.Success, "The new token is not shown the first time:\n" + first);

        // Replayed in the same session: nothing, and the page says how to get a new secret.
        web.Cookies.Add(Server.BaseAddress, new Cookie("latchkey_flash", kept));
        var (_, replayed) = await web.GetAsync("/settings/tokens");
        Assert.DoesNotContain(token.Groups[1].Value, replayed, StringComparison.Ordinal);
        Assert.DoesNotMatch(WebSession.NewTokenBox(), replayed);
        Assert.Contains("regenerate the token", replayed, StringComparison.Ordinal);

        // Replayed in a later sign-in of the same user: still nothing.
        using var later = Server.NewBrowserSession();
        await later.SignInAsync(owner, Password);
        later.Cookies.Add(Server.BaseAddress, new Cookie("latchkey_flash", kept));
        var (_, again) = await later.GetAsync("/settings/tokens");
        Assert.DoesNotContain(token.Groups[1].Value, again, StringComparison.Ordinal);

        // The token itself is unharmed: it works.
        using var api = Api(token.Groups[1].Value);
        using var user = await api.GetAsync("user");
        Assert.Equal(HttpStatusCode.OK, user.StatusCode);
    }

    [Fact]
    public async Task A_regenerated_secret_is_shown_once_too_and_the_old_flash_does_not_show_it()
    {
        var owner = fixture.NewUsername("regenonce");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        await web.CreateTokenAsync("twice", ["repo"]);
        var (_, list) = await web.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(list, "id=\"token-(\\d+)\"").Groups[1].Value;
        using (var regenerated = await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "7")]))
            Assert.Equal(HttpStatusCode.Redirect, regenerated.StatusCode);
        var kept = web.Cookies.GetCookies(Server.BaseAddress)["latchkey_flash"]!.Value;
        var (_, shown) = await web.GetAsync("/settings/tokens");
        Assert.Matches(WebSession.NewTokenBox(), shown);

        web.Cookies.Add(Server.BaseAddress, new Cookie("latchkey_flash", kept));
        var (_, replayed) = await web.GetAsync("/settings/tokens");
        Assert.DoesNotMatch(WebSession.NewTokenBox(), replayed);
    }

    [Theory]
    [InlineData("/error?code=500")]
    [InlineData("/error?code=503")]
    [InlineData("/error?code=599")]
    public async Task The_error_page_never_takes_its_status_from_the_query(string path)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var response = await http.GetAsync(path.TrimStart('/'));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(Server.FiveHundreds);
    }

    [Fact]
    public async Task A_missing_page_still_gets_the_error_page_with_its_own_status()
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var response = await http.GetAsync("no-such-user/no-such-repository/settings/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
