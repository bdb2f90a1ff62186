using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// The token object (issue #18's one shape for every token answer): after a clone, the token about
/// itself says it is active, when and from which network it was last used, and never its secret.
/// </summary>
public sealed class TokenObjectTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private LatchkeyServer Server => fixture.Server;

    [Fact]
    public async Task After_a_clone_the_token_names_its_state_last_use_and_network_and_not_its_secret()
    {
        var owner = fixture.NewUsername("object");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, "token object passphrase");
        await web.CreateRepositoryAsync("r", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("inventory me", ["repo"]);
        using var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/{owner}/r.git"), "r", owner, token);
        Assert.True(clone.Succeeded, clone.ToString());

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("token-object-tests");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var body = await http.GetStringAsync("api/v3/user/token");
        Assert.DoesNotContain(token, body, StringComparison.Ordinal);

        var self = JsonDocument.Parse(body).RootElement;
        Assert.Equal("classic", self.GetProperty("type").GetString());
        Assert.Equal("active", self.GetProperty("state").GetString());
        Assert.False(self.GetProperty("token_expired").GetBoolean());
        Assert.Equal(token[^8..], self.GetProperty("token_last_eight").GetString());
        Assert.Equal("127.0.0.0/24", self.GetProperty("last_used_ip_network").GetString());
        var created = self.GetProperty("created_at").GetDateTime();
        var lastUsed = self.GetProperty("token_last_used_at").GetDateTime();
        Assert.True(lastUsed >= created, $"last used {lastUsed:O} before created {created:O}");
        Assert.True(DateTime.UtcNow - lastUsed < TimeSpan.FromMinutes(5), $"last used {lastUsed:O} is not the clone just made");
    }
}
