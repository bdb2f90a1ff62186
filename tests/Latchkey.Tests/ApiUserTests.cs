using System.Net;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>GET /api/v3/user: the same tokens as git, answered GitHub's way.</summary>
public sealed class ApiUserTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "api user passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<HttpResponseMessage> GetUserAsync(string? authorization, IPAddress? from = null)
    {
        using var http = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Fact]
    public async Task A_token_reads_its_user_with_the_scope_and_expiry_headers()
    {
        var name = fixture.NewUsername("octo");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password, $"{name}@example.test");
        var token = await web.CreateTokenAsync("api", ["repo", "user"], expiration: "30");
        var expected = Server.Clock.GetUtcNow().UtcDateTime.AddDays(30).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

        foreach (var header in new[] { "Bearer " + token, "token " + token, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{token}")) })
        {
            using var response = await GetUserAsync(header);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("repo, user", response.Headers.GetValues("X-OAuth-Scopes").Single());
            Assert.Equal("", response.Headers.GetValues("X-Accepted-OAuth-Scopes").Single());
            Assert.Equal(expected, response.Headers.GetValues("github-authentication-token-expiration").Single());
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(name, json.RootElement.GetProperty("login").GetString());
            Assert.Equal("User", json.RootElement.GetProperty("type").GetString());
            Assert.Equal($"{name}@example.test", json.RootElement.GetProperty("email").GetString());
            Assert.EndsWith("Z", json.RootElement.GetProperty("created_at").GetString(), StringComparison.Ordinal);
            Assert.False(json.RootElement.TryGetProperty("password_hash", out _));
        }

        var narrow = await web.CreateTokenAsync("narrow", [], expiration: "none");
        using var plain = await GetUserAsync("Bearer " + narrow);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("", plain.Headers.GetValues("X-OAuth-Scopes").Single());
        Assert.False(plain.Headers.Contains("github-authentication-token-expiration"));
        using var body = JsonDocument.Parse(await plain.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("email").ValueKind);
    }

    [Fact]
    public async Task Missing_wrong_expired_and_password_credentials_are_refused_in_json()
    {
        var name = fixture.NewUsername("refused");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var token = await web.CreateTokenAsync("short", ["repo"], expiration: "7");
        var from = IPAddress.Parse("127.0.0.9");

        async Task Refused(string? header, HttpStatusCode status, string message)
        {
            using var response = await GetUserAsync(header, from);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(message, json.RootElement.GetProperty("message").GetString());
        }

        await Refused(null, HttpStatusCode.Unauthorized, "Requires authentication");
        await Refused("Bearer lkp_" + new string('0', 36), HttpStatusCode.Unauthorized, "Bad credentials");
        await Refused("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{Password}")), HttpStatusCode.Unauthorized,
            "Password authentication is not supported for the API. Use a personal access token.");
        await Refused("Basic %%%", HttpStatusCode.BadRequest, "The Basic credentials could not be decoded: expected base64 of username:password.");
        Server.Clock.Advance(TimeSpan.FromDays(8));
        await Refused("Bearer " + token, HttpStatusCode.Unauthorized, "Bad credentials");
    }

    [Fact]
    public async Task Git_and_API_failures_count_against_the_same_throttle()
    {
        var from = IPAddress.Parse("127.0.0.10");
        using var git = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = Server.BaseAddress };
        git.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer lkp_" + new string('1', 36));
        for (var i = 0; i < 5; i++)
        {
            using var response = await git.GetAsync("someone/repo.git/info/refs?service=git-upload-pack");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        for (var i = 0; i < 5; i++)
        {
            using var response = await GetUserAsync("Bearer lkp_" + new string('2', 36), from);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using var limited = await GetUserAsync("Bearer lkp_" + new string('3', 36), from);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.Contains("Retry-After"));
        Assert.Contains("Too many failed authentication attempts", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
