using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Every sign-in, token change and refused credential lands in the account's own security log.</summary>
public sealed partial class SecurityLogTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "security log passphrase";
    private LatchkeyServer Server => fixture.Server;

    [GeneratedRegex("data-security-event=\"([^\"]+)\"")]
    private static partial Regex EventName();

    private static List<string> Actions(string page) => EventName().Matches(page).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task The_log_tells_the_story_of_an_account_newest_first_without_secrets()
    {
        var name = fixture.NewUsername("logged");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("open", addReadme: true);
        await web.CreateRepositoryAsync("closed", isPrivate: true, addReadme: true);
        var full = await web.CreateTokenAsync("full", ["repo"]);
        var bare = await web.CreateTokenAsync("no scopes", [], expiration: "7");

        using (var wrong = Server.NewBrowserSession())
            using (await wrong.PostFormAsync("/login", [new("Input.Login", name), new("Input.Password", "wrong password here")])) { }
        using var git = new GitClient();
        var passwordClone = await git.CloneAsync(Server.Url($"/{name}/closed.git"), "pw", name, Password);
        Assert.False(passwordClone.Succeeded);
        var seed = await git.NewLocalRepositoryAsync("seed");
        var denied = await git.PushAsync(seed, Server.Url($"/{name}/open.git"), name, bare, "main:refs/heads/x");
        Assert.False(denied.Succeeded);
        Server.Clock.Advance(TimeSpan.FromDays(8));
        // A private repository, so that git has to present the token.
        var expired = await git.CloneAsync(Server.Url($"/{name}/closed.git"), "late", name, bare);
        Assert.False(expired.Succeeded);

        using var later = Server.NewBrowserSession();
        await later.SignInAsync(name, Password);
        var (status, page) = await later.GetAsync("/settings/security-log");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("no-store", (await later.Http.GetAsync("settings/security-log")).Headers.CacheControl?.ToString());
        var actions = Actions(page);
        Assert.Equal(
            [
                "user.login", "personal_access_token.refused", "git.permission_denied", "git.password_refused", "user.failed_login",
                "personal_access_token.create", "personal_access_token.create", "user.create",
            ],
            actions);
        var decoded = WebUtility.HtmlDecode(page);
        Assert.Contains($"Push to {name}/open: the token lacks the public_repo scope", decoded, StringComparison.Ordinal);
        Assert.Contains("\"no scopes\" used after it expired", decoded, StringComparison.Ordinal);
        Assert.Contains("Token …" + bare[^8..], decoded, StringComparison.Ordinal);
        Assert.Contains("\"full\" · scopes: repo · expires", decoded, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", decoded, StringComparison.Ordinal);
        Assert.Matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z", decoded);
        Assert.DoesNotContain(full, page, StringComparison.Ordinal);
        Assert.DoesNotContain(bare, page, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, page, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong password here", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_token_and_changing_the_password_are_logged()
    {
        var name = fixture.NewUsername("changes");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateTokenAsync("short", ["repo"]);
        var (_, list) = await web.GetAsync("/settings/tokens");
        var id = Regex.Match(list, "id=\"token-(\\d+)\"").Groups[1].Value;
        using (await web.PostFormAsync("/settings/tokens", [], $"/settings/tokens?handler=Delete&id={id}")) { }
        const string NewPassword = "the replacement passphrase";
        using (await web.PostFormAsync("/settings/security",
            [new("Input.OldPassword", Password), new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)])) { }
        await web.SignInAsync(name, NewPassword);
        var (_, page) = await web.GetAsync("/settings/security-log");
        Assert.Equal(["user.login", "user.change_password", "personal_access_token.destroy", "personal_access_token.create", "user.create"], Actions(page));
    }

    [Fact]
    public async Task Each_account_sees_only_its_own_log_and_odd_text_stays_one_escaped_entry()
    {
        var alice = fixture.NewUsername("own");
        using var aliceWeb = Server.NewBrowserSession();
        await aliceWeb.SignUpAsync(alice, Password);
        await aliceWeb.CreateTokenAsync("evil\r\nuser.login <script>alert(1)</script> {0}{Name}", ["repo"]);

        var (_, alicePage) = await aliceWeb.GetAsync("/settings/security-log");
        Assert.Equal(["personal_access_token.create", "user.create"], Actions(alicePage));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", alicePage, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", alicePage, StringComparison.Ordinal);

        var bob = fixture.NewUsername("other");
        using var bobWeb = Server.NewBrowserSession();
        await bobWeb.SignUpAsync(bob, Password);
        var (_, bobPage) = await bobWeb.GetAsync("/settings/security-log");
        Assert.Equal(["user.create"], Actions(bobPage));
        Assert.DoesNotContain("evil", bobPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_is_paged_and_a_bad_page_number_is_a_clear_400()
    {
        var name = fixture.NewUsername("pager");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        for (var i = 0; i < 55; i++)
            using (await web.PostFormAsync("/sessions/sudo?return_to=%2F", [new("ReturnTo", "/"), new("Password", Password)])) { }

        var (_, first) = await web.GetAsync("/settings/security-log");
        Assert.Equal(50, Actions(first).Count);
        Assert.Contains("href=\"/settings/security-log?page=2\"", first, StringComparison.Ordinal);
        var (_, second) = await web.GetAsync("/settings/security-log?page=2");
        Assert.Equal(6, Actions(second).Count);
        Assert.Equal("user.create", Actions(second)[^1]);

        foreach (var bad in new[] { "abc", "0", "-1", "99999999999" })
        {
            var (status, body) = await web.GetAsync($"/settings/security-log?page={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("page must be a whole number", body, StringComparison.Ordinal);
        }
    }
}
