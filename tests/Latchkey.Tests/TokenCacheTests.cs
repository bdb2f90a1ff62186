using System.Net;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// Verified tokens are cached, and the cache never outlives a change: whatever writes the database
/// (this server, another node, the admin command line, a hand-written UPDATE) raises the epoch, and
/// the next request reads the token again. The changes below are made straight in the database, as
/// another node would make them, behind this server's back.
/// </summary>
public sealed class TokenCacheTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "credential cache passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string User, string Token)> WarmTokenAsync(string stem)
    {
        var user = fixture.NewUsername(stem);
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(user, Password);
        await web.CreateRepositoryAsync("code", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("cached", ["repo", "user"]);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "api/v3/user"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "api/v3/user"));
        return (user, token);
    }

    private async Task<HttpStatusCode> StatusAsync(string token, string path)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("cache-test");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.GetAsync(path);
        return response.StatusCode;
    }

    /// <summary>How often the server's logged SQL looked a token up by its digest.</summary>
    private static int TokenQueries(string logs) =>
        System.Text.RegularExpressions.Regex.Count(logs, "\"Digest\" = @");

    private Task<long> EpochAsync() =>
        TestDatabase.ExecuteAsync(Server.DataDirectory, "SELECT \"Value\" FROM \"CredentialEpochs\" WHERE \"Id\" = 1")
            .ContinueWith(t => Convert.ToInt64(t.Result, System.Globalization.CultureInfo.InvariantCulture), TaskScheduler.Default);

    [Fact]
    public async Task A_warm_token_is_served_without_reading_it_from_the_database_again()
    {
        var (_, token) = await WarmTokenAsync("warm");
        var before = TokenQueries(Server.AllLogs);
        Assert.True(before > 0, "the server's SQL is not in its logs, so this test could not see a cache miss");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "api/v3/user"));
        Assert.Equal(before, TokenQueries(Server.AllLogs));
    }

    [Fact]
    public async Task A_token_deleted_behind_the_servers_back_is_refused_at_the_next_request()
    {
        var (user, token) = await WarmTokenAsync("deleted");
        Assert.Equal(1, await TestDatabase.ExecuteAsync(Server.DataDirectory,
            "DELETE FROM \"PersonalAccessTokens\" WHERE \"UserId\" = (SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"UserName\" = @name)", ("name", user)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(token, "api/v3/user"));
    }

    [Fact]
    public async Task A_token_expired_or_an_owner_suspended_behind_the_servers_back_is_refused_at_the_next_request()
    {
        var (user, token) = await WarmTokenAsync("expired");
        await TestDatabase.ExecuteAsync(Server.DataDirectory,
            "UPDATE \"PersonalAccessTokens\" SET \"ExpiresAt\" = @past WHERE \"UserId\" = (SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"UserName\" = @name)",
            ("past", Server.Clock.GetUtcNow().UtcDateTime.AddMinutes(-1)), ("name", user));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(token, "api/v3/user"));

        var (owner, other) = await WarmTokenAsync("suspended");
        await TestDatabase.ExecuteAsync(Server.DataDirectory, "UPDATE \"AspNetUsers\" SET \"SuspendedAt\" = @now WHERE \"UserName\" = @name",
            ("now", Server.Clock.GetUtcNow().UtcDateTime), ("name", owner));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(other, "api/v3/user"));
    }

    [Fact]
    public async Task A_repository_taken_out_of_a_fine_grained_token_behind_the_servers_back_is_gone_at_the_next_request()
    {
        var (user, _) = await WarmTokenAsync("narrowed");
        var token = await Server.IssueAsync(user, RepositoryAccess.Selected, [$"{user}/code"], Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, $"api/v3/repos/{user}/code/readme"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, $"api/v3/repos/{user}/code/readme"));
        Assert.Equal(1, await TestDatabase.ExecuteAsync(Server.DataDirectory,
            "DELETE FROM \"TokenRepositories\" WHERE \"RepositoryId\" = (SELECT r.\"Id\" FROM \"Repositories\" r JOIN \"AspNetUsers\" u ON u.\"Id\" = r.\"OwnerId\" WHERE u.\"UserName\" = @name)", ("name", user)));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(token, $"api/v3/repos/{user}/code/readme"));
    }

    [Fact]
    public async Task Last_used_writes_do_not_empty_the_cache()
    {
        var (_, token) = await WarmTokenAsync("busy");
        var epoch = await EpochAsync();
        Server.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "api/v3/user"));
        Assert.Equal(epoch, await EpochAsync());
        var lastUsed = await TestDatabase.ExecuteAsync(Server.DataDirectory,
            "SELECT COUNT(*) FROM \"PersonalAccessTokens\" WHERE \"LastUsedAt\" >= @recent", ("recent", Server.Clock.GetUtcNow().UtcDateTime.AddSeconds(-1)));
        Assert.True(Convert.ToInt64(lastUsed, System.Globalization.CultureInfo.InvariantCulture) >= 1, "the use two minutes later was not recorded");
    }
}
