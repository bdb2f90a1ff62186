using System.Net;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// "Was this token ever used, and from where?": the security log finds one token's events by
/// GitHub's hashed_token (base64 SHA-256 of the token), also after the token is deleted, and a pasted
/// token is hashed on arrival: it never reaches a URL.
/// </summary>
public sealed class TokenEventSearchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "token event search passphrase";
    private LatchkeyServer Server => fixture.Server;

    private static string Hashed(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    [Fact]
    public async Task A_deleted_tokens_events_are_found_by_its_hash_and_by_pasting_it()
    {
        var user = fixture.NewUsername("tracer");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(user, Password);
        var leaked = await web.CreateTokenAsync("leaked", ["read:user"]);
        var other = await web.CreateTokenAsync("other", ["repo"]);

        // The leaked token tries a push it may not make: a refusal with the token, in the log.
        await web.CreateRepositoryAsync("target", isPrivate: false, addReadme: true);
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{user}/target.git"), "target")).Succeeded);
        await git.CommitFileAsync("target", "x.txt", "x\n", "x");
        Assert.False((await git.PushAsync(Path.Combine(git.WorkDirectory, "target"), Server.Url($"/{user}/target.git"), user, leaked)).Succeeded);
        using (var scope = Server.Services.CreateScope())
        {
            var check = await scope.ServiceProvider.GetRequiredService<TokenVerifier>().VerifyAsync(leaked, new TokenUse(null, null), CancellationToken.None);
            Assert.True(await scope.ServiceProvider.GetRequiredService<TokenIssuer>().DeleteAsync(check.User!.Id, check.Token!.Id, CancellationToken.None));
        }

        var query = Uri.EscapeDataString($"hashed_token:\"{Hashed(leaked)}\"");
        var (status, found) = await web.GetAsync("/settings/security-log?q=" + query);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-security-event=\"personal_access_token.create\"", found, StringComparison.Ordinal);
        Assert.Contains("data-security-event=\"personal_access_token.destroy\"", found, StringComparison.Ordinal);
        Assert.Contains("data-security-event=\"git.permission_denied\"", found, StringComparison.Ordinal);
        Assert.Contains("…" + leaked[^8..], found, StringComparison.Ordinal);
        Assert.DoesNotContain("…" + other[^8..], found, StringComparison.Ordinal);
        var (_, everything) = await web.GetAsync("/settings/security-log");
        Assert.Contains("…" + other[^8..], everything, StringComparison.Ordinal);

        // Pasted: hashed on arrival, the redirect carries only the hash.
        using (var paste = await web.PostFormAsync("/settings/security-log", [new("token", leaked)], "/settings/security-log?handler=Find"))
        {
            Assert.Equal(HttpStatusCode.Redirect, paste.StatusCode);
            var location = paste.Headers.Location!.ToString();
            Assert.DoesNotContain(leaked, location, StringComparison.Ordinal);
            Assert.Contains(Uri.EscapeDataString(Hashed(leaked)), location, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(leaked, Server.AllLogs, StringComparison.Ordinal);

        using (var bad = await web.PostFormAsync("/settings/security-log", [new("token", "not a token")], "/settings/security-log?handler=Find"))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await web.GetAsync("/settings/security-log?q=hashed_token:nope")).Status);

        // Another account's log never shows this token's events.
        using var stranger = Server.NewBrowserSession();
        await stranger.SignUpAsync(fixture.NewUsername("stranger"), Password);
        var (_, theirs) = await stranger.GetAsync("/settings/security-log?q=" + query);
        Assert.DoesNotContain("…" + leaked[^8..], theirs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tokens_fetches_and_pushes_are_events_at_most_one_an_hour_per_repository_and_operation()
    {
        var user = fixture.NewUsername("traced");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(user, Password);
        await web.CreateRepositoryAsync("code", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("ci", ["repo"]);
        var url = Server.Url($"/{user}/code.git");
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(url, "one", user, token)).Succeeded);
        Assert.True((await git.CloneAsync(url, "two", user, token)).Succeeded);
        await git.CommitFileAsync("one", "a.txt", "a\n", "a");
        Assert.True((await git.PushAsync(Path.Combine(git.WorkDirectory, "one"), url, user, token)).Succeeded);

        var query = "/settings/security-log?q=" + Uri.EscapeDataString($"hashed_token:\"{Hashed(token)}\"");
        static int Count(string page, string action) => page.Split($"data-security-event=\"{action}\"").Length - 1;
        var log = WebUtility.HtmlDecode((await web.GetAsync(query)).Body);
        // Two clones in the hour are one event; a clone is told from a fetch by the commits the client already has.
        Assert.Equal(1, Count(log, "git.clone"));
        Assert.Equal(0, Count(log, "git.fetch"));
        Assert.Equal(1, Count(log, "git.push"));
        Assert.Contains($"Cloned {user}/code", log, StringComparison.Ordinal);
        Assert.Contains($"Pushed to {user}/code", log, StringComparison.Ordinal);

        Server.Clock.Advance(TimeSpan.FromMinutes(61));
        Assert.True((await git.RunAsync(Path.Combine(git.WorkDirectory, "two"), user, token, "pull", "-q", url, "main")).Succeeded);
        log = WebUtility.HtmlDecode((await web.GetAsync(query)).Body);
        Assert.Equal(1, Count(log, "git.fetch"));
        Assert.Contains($"Fetched from {user}/code", log, StringComparison.Ordinal);
        Assert.Equal(1, Count(log, "git.clone"));
        Assert.Equal(1, Count(log, "git.push"));
    }
}
