using System.Net;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Passwords, deleted tokens, expired tokens and garbage never get through git.</summary>
public sealed class GitCredentialRefusalTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "a perfectly good passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Name, WebSession Web)> OwnerWithRepositoryAsync(string stem)
    {
        var name = fixture.NewUsername(stem);
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("code", isPrivate: true, addReadme: true);
        return (name, web);
    }

    [Fact]
    public async Task The_account_password_is_refused_with_a_message_that_says_to_use_a_token()
    {
        var (name, web) = await OwnerWithRepositoryAsync("pw");
        using var _ = web;
        using var git = new GitClient();
        var result = await git.CloneAsync(Server.Url($"/{name}/code.git"), "code", name, Password);
        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("remote: Password authentication is not supported for Git operations.", result.Error, StringComparison.Ordinal);
        Assert.Contains("remote: Use a personal access token as the password instead.", result.Error, StringComparison.Ordinal);
        Assert.Contains($"remote: Create one at {Server.Url("/settings/tokens")}", result.Error, StringComparison.Ordinal);
        Assert.Contains("Authentication failed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_token_stops_working_at_once()
    {
        var (name, web) = await OwnerWithRepositoryAsync("del");
        using var _ = web;
        var token = await web.CreateTokenAsync("short-lived", ["repo"]);
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{name}/code.git"), "before", name, token)).Succeeded);

        var (_, page) = await web.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(page, "id=\"token-(\\d+)\"").Groups[1].Value;
        using (var delete = await web.PostFormAsync("/settings/tokens", [], $"/settings/tokens?handler=Delete&id={id}"))
            Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
        var (_, after) = await web.GetAsync("/settings/tokens");
        Assert.Contains("Deleted personal access token.", after, StringComparison.Ordinal);
        Assert.DoesNotContain("short-lived", after, StringComparison.Ordinal);

        var result = await git.CloneAsync(Server.Url($"/{name}/code.git"), "after", name, token);
        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("remote: Invalid username or token.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_users_token_cannot_be_deleted()
    {
        var (_, owner) = await OwnerWithRepositoryAsync("keep");
        using var __ = owner;
        await owner.CreateTokenAsync("mine", ["repo"]);
        var (_, page) = await owner.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(page, "id=\"token-(\\d+)\"").Groups[1].Value;

        var (_, thief) = await OwnerWithRepositoryAsync("thief");
        using var ___ = thief;
        using var attempt = await thief.PostFormAsync("/settings/tokens", [], $"/settings/tokens?handler=Delete&id={id}");
        Assert.Equal(HttpStatusCode.NotFound, attempt.StatusCode);
        var (_, still) = await owner.GetAsync("/settings/tokens");
        Assert.Contains("mine", still, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_shown_as_expired()
    {
        var (name, web) = await OwnerWithRepositoryAsync("exp");
        using var _ = web;
        var token = await web.CreateTokenAsync("a week", ["repo"], expiration: "7");
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{name}/code.git"), "fresh", name, token)).Succeeded);

        Server.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        var result = await git.CloneAsync(Server.Url($"/{name}/code.git"), "stale", name, token);
        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("remote: Invalid username or token.", result.Error, StringComparison.Ordinal);

        // The session cookie outlives a week here only if it was used; sign in again to look.
        using var again = Server.NewBrowserSession();
        await again.SignInAsync(name, Password);
        var (_, page) = await again.GetAsync("/settings/tokens");
        Assert.Contains("Expired on", page, StringComparison.Ordinal);
    }

    public static TheoryData<string, HttpStatusCode, string> BadHeaders => new()
    {
        { "Basic !!!not-base64!!!", HttpStatusCode.BadRequest, "could not be decoded" },
        { "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon-here")), HttpStatusCode.BadRequest, "could not be decoded" },
        { "Basic", HttpStatusCode.BadRequest, "could not be decoded" },
        { "Bearer", HttpStatusCode.BadRequest, "no token" },
        { "Digest username=\"x\"", HttpStatusCode.BadRequest, "Unsupported authorization scheme" },
        { "Bearer lkp_notarealtokenatallnotarealtokenxx", HttpStatusCode.Unauthorized, "Invalid username or token" },
        { "Bearer " + new string('a', 5000), HttpStatusCode.Unauthorized, "Invalid username or token" },
        { "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x:lkp_" + new string('0', 36))), HttpStatusCode.Unauthorized, "Invalid username or token" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task Malformed_or_bogus_credentials_get_a_4xx_with_a_message(string header, HttpStatusCode expected, string message)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "someone/something.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dumb_protocol_and_wrong_content_types_are_refused_with_a_message()
    {
        var (name, web) = await OwnerWithRepositoryAsync("dumb");
        using var _ = web;
        var token = await web.CreateTokenAsync("t", ["repo"]);
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);

        using var dumb = await http.GetAsync($"{name}/code.git/info/refs");
        Assert.Equal(HttpStatusCode.BadRequest, dumb.StatusCode);
        Assert.Contains("smart HTTP", await dumb.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var wrongType = await http.PostAsync($"{name}/code.git/git-upload-pack", new StringContent("0000", Encoding.ASCII, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);

        using var badGzip = new ByteArrayContent([1, 2, 3, 4]);
        badGzip.Headers.ContentType = new("application/x-git-upload-pack-request");
        badGzip.Headers.ContentEncoding.Add("gzip");
        using var gz = await http.PostAsync($"{name}/code.git/git-upload-pack", badGzip);
        Assert.True((int)gz.StatusCode is >= 200 and < 500, $"gzip garbage answered {gz.StatusCode}");
    }
}
