using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// What Git Credential Manager and gh read to decide that a host is a GitHub (Enterprise Server):
/// GCM wants X-GitHub-Request-Id on a response and GET /api/v3/meta with a 3.x installed_version and
/// verifiable_password_authentication false (then it offers a token, not a password). GCM itself is
/// not packaged for Debian, so this asserts each response its detection reads (shared/clients.md §1b).
/// </summary>
public sealed class GitHubIdentityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Meta_answers_as_github_enterprise_server_3_and_names_latchkeys_own_version()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using var response = await http.GetAsync("api/v3/meta");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var meta = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var installed = meta.RootElement.GetProperty("installed_version").GetString()!;
        Assert.Matches(@"^3\.\d+\.\d+$", installed);
        Assert.False(meta.RootElement.GetProperty("verifiable_password_authentication").GetBoolean());
        var own = meta.RootElement.GetProperty("latchkey_version").GetString()!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", own);
        Assert.Equal(installed, string.Join(",", response.Headers.GetValues("X-GitHub-Enterprise-Version")));
        Assert.Equal(own, string.Join(",", response.Headers.GetValues("X-Latchkey-Version")));
    }

    [Theory]
    [InlineData("api/v3/")]
    [InlineData("api/v3/user")]
    [InlineData("api/v3/repos/nobody/nothing")]
    public async Task Every_api_answer_carries_a_github_request_id_matching_the_logged_one(string path)
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using var response = await http.GetAsync(path);
        var id = Assert.Single(response.Headers.GetValues("X-GitHub-Request-Id"));
        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.Equal(id, Assert.Single(response.Headers.GetValues("X-Request-Id")));
    }
}
