using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>A site administrator suspends an account or ends its sessions; both bite at once.</summary>
public sealed class SiteAdminTests : IAsyncLifetime
{
    private const string Password = "site admin test passphrase";
    private LatchkeyServer _server = null!;
    private WebSession _admin = null!;
    private WebSession _bob = null!;
    private string _bobToken = "";

    public async Task InitializeAsync()
    {
        _server = await LatchkeyServer.StartAsync();
        _admin = _server.NewBrowserSession();
        await _admin.SignUpAsync("root", Password);
        _bob = _server.NewBrowserSession();
        await _bob.SignUpAsync("bob", Password);
        await _bob.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        _bobToken = await _bob.CreateTokenAsync("laptop", ["repo"]);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _bob.Dispose();
        var errors = _server.FiveHundreds;
        await _server.DisposeAsync();
        Assert.Empty(errors);
    }

    private async Task<string> BobsIdAsync()
    {
        var (_, page) = await _admin.GetAsync("/site-admin/users");
        return Regex.Match(page, "data-user-row=\"bob\"[\\s\\S]*?name=\"id\" value=\"(\\d+)\"").Groups[1].Value;
    }

    private async Task<HttpStatusCode> BobsTokenOnGitAsync()
    {
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "bob/work.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _bobToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Only_administrators_see_the_site_administration()
    {
        var (bobStatus, _) = await _bob.GetAsync("/site-admin/users");
        Assert.Equal(HttpStatusCode.NotFound, bobStatus);
        using var anonymous = _server.NewBrowserSession();
        var (anonymousStatus, _) = await anonymous.GetAsync("/site-admin/users");
        Assert.Equal(HttpStatusCode.Redirect, anonymousStatus);
        Assert.DoesNotContain("href=\"/site-admin/users\"", (await _bob.GetAsync("/")).Body, StringComparison.Ordinal);
        Assert.Contains("href=\"/site-admin/users\"", (await _admin.GetAsync("/")).Body, StringComparison.Ordinal);
        var (adminStatus, page) = await _admin.GetAsync("/site-admin/users");
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Contains("data-user-row=\"bob\"", page, StringComparison.Ordinal);

        // A non-administrator's crafted post is refused too.
        var id = await BobsIdAsync();
        using var crafted = await _bob.PostFormAsync("/settings/profile", [new("id", id)], "/site-admin/users?handler=Suspend");
        Assert.Equal(HttpStatusCode.NotFound, crafted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await BobsTokenOnGitAsync());
    }

    [Fact]
    public async Task A_suspended_account_loses_its_sessions_its_tokens_and_its_sign_in_at_once()
    {
        Assert.Equal(HttpStatusCode.OK, await BobsTokenOnGitAsync());
        var id = await BobsIdAsync();
        using (var suspend = await _admin.PostFormAsync("/site-admin/users", [new("id", id)], "/site-admin/users?handler=Suspend"))
            Assert.Equal(HttpStatusCode.Redirect, suspend.StatusCode);

        var (sessionStatus, _) = await _bob.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.Redirect, sessionStatus);
        Assert.Equal(HttpStatusCode.Unauthorized, await BobsTokenOnGitAsync());

        using var again = _server.NewBrowserSession();
        using (var wrong = await again.PostFormAsync("/login", [new("Input.Login", "bob"), new("Input.Password", "not bob's password")]))
            Assert.Contains("Incorrect username or password.", WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        using (var right = await again.PostFormAsync("/login", [new("Input.Login", "bob"), new("Input.Password", Password)]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, right.StatusCode);
            Assert.Contains("This account is suspended.", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var unsuspend = await _admin.PostFormAsync("/site-admin/users", [new("id", id)], "/site-admin/users?handler=Unsuspend"))
            Assert.Equal(HttpStatusCode.Redirect, unsuspend.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await BobsTokenOnGitAsync());
        await again.SignInAsync("bob", Password);
    }

    [Fact]
    public async Task Ending_someones_sessions_signs_them_out_everywhere_but_leaves_their_tokens()
    {
        using var phone = _server.NewBrowserSession();
        await phone.SignInAsync("bob", Password);
        var id = await BobsIdAsync();
        using (var end = await _admin.PostFormAsync("/site-admin/users", [new("id", id)], "/site-admin/users?handler=EndSessions"))
            Assert.Equal(HttpStatusCode.Redirect, end.StatusCode);
        var (_, page) = await _admin.GetAsync("/site-admin/users");
        Assert.Contains("Signed bob out of 2 sessions.", page, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Redirect, (await _bob.GetAsync("/settings/tokens")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await phone.GetAsync("/settings/tokens")).Status);
        Assert.Equal(HttpStatusCode.OK, await BobsTokenOnGitAsync());
    }

    [Fact]
    public async Task Administrators_cannot_suspend_themselves()
    {
        // root signed up first on this fresh server: its id is 1.
        using var response = await _admin.PostFormAsync("/site-admin/users", [new("id", "1")], "/site-admin/users?handler=Suspend");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("You cannot suspend your own account.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
