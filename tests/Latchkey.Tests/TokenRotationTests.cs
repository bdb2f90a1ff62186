using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// POST /api/v3/user/token/rotate: a token replaces itself with the same access; the old secret works
/// for the overlap and not a request after (none at all with overlap 0); two rotations at once have one
/// winner; the rotation and the old token's uses in its overlap are in the security log.
/// </summary>
public sealed class TokenRotationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "token rotation passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<string> UserWithRepositoryAsync(string stem)
    {
        var user = fixture.NewUsername(stem);
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(user, Password);
        await web.CreateRepositoryAsync("app", isPrivate: true, addReadme: true);
        return user;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpMethod method, string path, string token, string? json = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, Server.Url("/api/v3/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("rotation-test");
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<bool> ClonesAsync(string user, string token)
    {
        using var git = new GitClient();
        return (await git.CloneAsync(Server.Url($"/{user}/app.git"), "app", user, token)).Succeeded;
    }

    [Fact]
    public async Task During_the_overlap_both_secrets_work_and_after_it_only_the_new_one()
    {
        var user = await UserWithRepositoryAsync("rotator");
        var old = await Server.IssueClassicAsync(user, [Scopes.Repo, Scopes.User]);
        var (status, rotated) = await CallAsync(HttpMethod.Post, "user/token/rotate", old, "{\"overlap_seconds\":3600}");
        Assert.Equal(HttpStatusCode.Created, status);
        var fresh = rotated.GetProperty("token").GetString()!;
        Assert.StartsWith("lkp_", fresh, StringComparison.Ordinal);
        Assert.NotEqual(old, fresh);
        Assert.Equal(fresh[^8..], rotated.GetProperty("token_last_eight").GetString());
        Assert.Equal(["repo", "user"], rotated.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("test", rotated.GetProperty("name").GetString());
        // The same lifetime length as the old token (30 days), counted from now.
        var expires = rotated.GetProperty("expires_at").GetDateTime();
        Assert.InRange(expires - Server.Clock.GetUtcNow().UtcDateTime, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "user", old)).Status);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "user", fresh)).Status);
        Assert.True(await ClonesAsync(user, old), "the old secret stopped within its overlap");
        Assert.True(await ClonesAsync(user, fresh));
        // The old one cannot rotate again.
        Assert.Equal(HttpStatusCode.Conflict, (await CallAsync(HttpMethod.Post, "user/token/rotate", old)).Status);

        Server.Clock.Advance(TimeSpan.FromSeconds(3601));
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(HttpMethod.Get, "user", old)).Status);
        Assert.False(await ClonesAsync(user, old), "the old secret cloned after its overlap");
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "user", fresh)).Status);
        Assert.True(await ClonesAsync(user, fresh));

        using var web = Server.NewBrowserSession();
        await web.SignInAsync(user, Password);
        var log = WebUtility.HtmlDecode((await web.GetAsync("/settings/security-log")).Body);
        Assert.Contains("personal_access_token.rotate", log, StringComparison.Ordinal);
        Assert.Contains($"replaces …{old[^8..]}", log, StringComparison.Ordinal);
        Assert.Contains("personal_access_token.used_after_rotation", log, StringComparison.Ordinal);
        Assert.DoesNotContain(fresh, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_web_regenerate_with_an_overlap_keeps_the_old_secret_working_until_it_ends()
    {
        var user = await UserWithRepositoryAsync("webrotator");
        using var web = Server.NewBrowserSession();
        await web.SignInAsync(user, Password);
        var old = await web.CreateTokenAsync("deploy", ["repo"]);
        var (_, self) = await CallAsync(HttpMethod.Get, "user/token", old);
        var id = self.GetProperty("id").GetInt64();

        var (_, form) = await web.GetAsync($"/settings/tokens/{id}/regenerate");
        Assert.Contains("<option value=\"3600\">1 hour</option>", form, StringComparison.Ordinal);
        using (var bad = await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "30"), new("Input.OverlapSeconds", "7")]))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        using (var regenerate = await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "7"), new("Input.OverlapSeconds", "3600")]))
            Assert.Equal(HttpStatusCode.Redirect, regenerate.StatusCode);
        var (_, list) = await web.GetAsync("/settings/tokens");
        var fresh = Support.WebSession.NewTokenBox().Match(list).Groups[1].Value;
        Assert.StartsWith("lkp_", fresh, StringComparison.Ordinal);
        Assert.Contains("Replaced: the old secret works until", list, StringComparison.Ordinal);
        var (_, described) = await CallAsync(HttpMethod.Get, "user/token", fresh);
        Assert.Equal("deploy", described.GetProperty("name").GetString());
        // The expiry chosen on the form, counted from now.
        Assert.InRange(described.GetProperty("expires_at").GetDateTime() - Server.Clock.GetUtcNow().UtcDateTime, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

        Assert.True(await ClonesAsync(user, old), "the old secret stopped within its overlap");
        Assert.True(await ClonesAsync(user, fresh));
        Server.Clock.Advance(TimeSpan.FromSeconds(3601));
        Assert.False(await ClonesAsync(user, old), "the old secret cloned after its overlap");
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(HttpMethod.Get, "user", old)).Status);
        Assert.True(await ClonesAsync(user, fresh));
    }

    [Fact]
    public async Task With_no_overlap_the_old_secret_fails_on_its_next_use()
    {
        var user = await UserWithRepositoryAsync("instant");
        var old = await Server.IssueClassicAsync(user, [Scopes.Repo]);
        Assert.True(await ClonesAsync(user, old));
        var (status, rotated) = await CallAsync(HttpMethod.Post, "user/token/rotate", old);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(HttpMethod.Get, "user", old)).Status);
        Assert.False(await ClonesAsync(user, old), "the old secret cloned after a rotation without overlap");
        Assert.True(await ClonesAsync(user, rotated.GetProperty("token").GetString()!));
    }

    [Fact]
    public async Task Two_rotations_of_one_token_at_once_have_one_winner()
    {
        var user = await UserWithRepositoryAsync("racer");
        for (var round = 0; round < 5; round++)
        {
            var token = await Server.IssueClassicAsync(user, [Scopes.Repo]);
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => CallAsync(HttpMethod.Post, "user/token/rotate", token, "{\"overlap_seconds\":600}")));
            Assert.Equal(1, answers.Count(a => a.Status == HttpStatusCode.Created));
            Assert.Equal(3, answers.Count(a => a.Status == HttpStatusCode.Conflict));
        }
    }

    [Fact]
    public async Task A_fine_grained_token_keeps_its_name_permissions_and_repositories()
    {
        var user = await UserWithRepositoryAsync("finerotator");
        var old = await Server.IssueAsync(user, RepositoryAccess.Selected, [$"{user}/app"],
            Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "deploy");
        var (status, rotated) = await CallAsync(HttpMethod.Post, "user/token/rotate", old, "{\"overlap_seconds\":60}");
        Assert.Equal(HttpStatusCode.Created, status);
        var fresh = rotated.GetProperty("token").GetString()!;
        Assert.StartsWith("lkf_", fresh, StringComparison.Ordinal);
        Assert.Equal("deploy", rotated.GetProperty("name").GetString());
        Assert.Equal("selected", rotated.GetProperty("repository_selection").GetString());
        Assert.Equal($"{user}/app", rotated.GetProperty("repositories")[0].GetProperty("full_name").GetString());
        Assert.Equal("read", rotated.GetProperty("permissions").GetProperty("contents").GetString());
        Assert.True(await ClonesAsync(user, fresh));
        var (_, described) = await CallAsync(HttpMethod.Get, "user/token", fresh);
        Assert.Equal("deploy", described.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_bad_overlap_is_refused_with_a_message_and_rotates_nothing()
    {
        var user = await UserWithRepositoryAsync("badoverlap");
        var token = await Server.IssueClassicAsync(user, [Scopes.Repo]);
        foreach (var body in new[] { "{\"overlap_seconds\":-1}", "{\"overlap_seconds\":86401}" })
        {
            var (status, error) = await CallAsync(HttpMethod.Post, "user/token/rotate", token, body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Contains("overlap_seconds", error.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        // Not a whole number of seconds, or not JSON: GitHub's 400 "Problems parsing JSON".
        foreach (var body in new[] { "{not json", "{\"overlap_seconds\":\"60\"}", "{\"overlap_seconds\":1.5}" })
            Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Post, "user/token/rotate", token, body)).Status);
        // Still the one token, still rotatable.
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, "user/token/rotate", token, "{}")).Status);
    }
}
