using System.Net;
using System.Text;
using Latchkey.Tests.Support;
using Latchkey.Tokens;

namespace Latchkey.Tests;

/// <summary>POST /api/v3/credentials/revoke: anyone may report leaked tokens; live ones die; the answer tells nothing.</summary>
public sealed class CredentialRevocationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "revocation passphrase";
    private LatchkeyServer Server => fixture.Server;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpStatusCode> UseAsync(string owner, string token)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{owner}/box.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Reported_live_tokens_die_and_their_owners_are_told()
    {
        var alice = fixture.NewUsername("reported");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(alice, Password);
        await web.CreateRepositoryAsync("box", isPrivate: true, addReadme: true);
        var leaked = await web.CreateTokenAsync("leaked", ["repo"]);
        var kept = await web.CreateTokenAsync("kept", ["repo"]);
        Assert.Equal(HttpStatusCode.OK, await UseAsync(alice, leaked));

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        var report = $"{{\"credentials\": [\"{leaked}\", \"not a token\", \"{TokenFormat.Generate(TokenKind.Classic)}\"]}}";
        using (var response = await http.PostAsync("api/v3/credentials/revoke", Json(report)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(alice, leaked));
        Assert.Equal(HttpStatusCode.OK, await UseAsync(alice, kept));
        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Contains("reported as leaked through the credential revocation API", WebUtility.HtmlDecode(log), StringComparison.Ordinal);

        // The same answer whether anything was found or not.
        using var nothing = await http.PostAsync("api/v3/credentials/revoke", Json($"{{\"credentials\": [\"{TokenFormat.Generate(TokenKind.Classic)}\"]}}"));
        Assert.Equal(HttpStatusCode.Accepted, nothing.StatusCode);
    }

    [Fact]
    public async Task An_authenticated_call_is_refused()
    {
        var name = fixture.NewUsername("authed");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var token = await web.CreateTokenAsync("t", ["repo"]);
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v3/credentials/revoke") { Content = Json($"{{\"credentials\": [\"{token}\"]}}") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("\"message\":\"This endpoint must be called without authentication.\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public static TheoryData<string, HttpStatusCode, string> BadBodies => new()
    {
        { "{not json", HttpStatusCode.BadRequest, "Problems parsing JSON" },
        { "[]", HttpStatusCode.BadRequest, "Problems parsing JSON" },
        { "{}", HttpStatusCode.UnprocessableEntity, "must be a non-empty array of strings" },
        { "{\"credentials\": []}", HttpStatusCode.UnprocessableEntity, "must be a non-empty array of strings" },
        { "{\"credentials\": [1, 2]}", HttpStatusCode.BadRequest, "Problems parsing JSON" },
        { "{\"credentials\": [null]}", HttpStatusCode.UnprocessableEntity, "at most 1000 credentials" },
        { "{\"credentials\": [" + string.Join(",", Enumerable.Repeat("\"x\"", 1001)) + "]}", HttpStatusCode.UnprocessableEntity, "at most 1000 credentials" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Malformed_reports_get_a_4xx_with_a_message(string body, HttpStatusCode status, string message)
    {
        using var http = new HttpClient(WebSession.Handler(null, IPAddress.Parse("127.0.0.4"))) { BaseAddress = Server.BaseAddress };
        using var response = await http.PostAsync("api/v3/credentials/revoke", Json(body));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_address_may_report_60_times_an_hour()
    {
        using var http = new HttpClient(WebSession.Handler(null, IPAddress.Parse("127.0.0.6"))) { BaseAddress = Server.BaseAddress };
        for (var i = 0; i < 60; i++)
        {
            using var ok = await http.PostAsync("api/v3/credentials/revoke", Json("{\"credentials\": [\"x\"]}"));
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }
        using var limited = await http.PostAsync("api/v3/credentials/revoke", Json("{\"credentials\": [\"x\"]}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.Contains("Retry-After"));
        Assert.Contains("rate limit", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var elsewhere = new HttpClient(WebSession.Handler(null, IPAddress.Parse("127.0.0.7"))) { BaseAddress = Server.BaseAddress };
        using var other = await elsewhere.PostAsync("api/v3/credentials/revoke", Json("{\"credentials\": [\"x\"]}"));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
    }

    [Fact]
    public async Task A_full_report_of_guessed_tokens_costs_checksums_and_no_token_lookup()
    {
        using var http = new HttpClient(WebSession.Handler(null, IPAddress.Parse("127.0.0.8"))) { BaseAddress = Server.BaseAddress };
        // As many as a report may hold, token-shaped, their checksums wrong (as any guess's is, but 1 in 2^32).
        var guesses = Enumerable.Range(0, Latchkey.Api.CredentialRevocation.MaxCredentials)
            .Select(_ => "lkp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)))
            .ToList();
        Assert.DoesNotContain(guesses, guess => TokenFormat.TryParse(guess, out _));
        var before = Server.AllLogs.Length;
        using (var report = await http.PostAsync("api/v3/credentials/revoke", Json(System.Text.Json.JsonSerializer.Serialize(new { credentials = guesses }))))
            Assert.Equal(HttpStatusCode.Accepted, report.StatusCode);
        Assert.DoesNotContain("\"PersonalAccessTokens\"", Server.AllLogs[before..], StringComparison.Ordinal);

        // A never-issued token with a right checksum is looked up: the check above is not blind.
        before = Server.AllLogs.Length;
        using (var report = await http.PostAsync("api/v3/credentials/revoke", Json($"{{\"credentials\": [\"{TokenFormat.Generate(TokenKind.Classic)}\"]}}")))
            Assert.Equal(HttpStatusCode.Accepted, report.StatusCode);
        Assert.Contains("\"PersonalAccessTokens\"", Server.AllLogs[before..], StringComparison.Ordinal);
    }
}
