using System.Net;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// Each API endpoint × fine-grained permission level → the status GitHub gives a fine-grained token,
/// with X-Accepted-GitHub-Permissions naming what the endpoint wants and no OAuth scope headers.
/// A repository outside the token's selection is as absent as a missing one.
/// </summary>
public sealed class FineGrainedApiMatrixTests(FineGrainedApiMatrixTests.World world) : IClassFixture<FineGrainedApiMatrixTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        private int _counter;
        public LatchkeyServer Server => _fixture.Server;
        public Dictionary<string, string> Tokens { get; } = [];

        public string Unique() => "f" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using var alice = Server.NewBrowserSession();
            await alice.SignUpAsync("alice", "fine grained matrix passphrase");
            await alice.CreateRepositoryAsync("priv", isPrivate: true, addReadme: true);
            await alice.CreateRepositoryAsync("other", isPrivate: true, addReadme: true);
            Tokens["classic:repo"] = await alice.CreateTokenAsync("repo", ["repo"]);
            using var bob = Server.NewBrowserSession();
            await bob.SignUpAsync("bob", "fine grained matrix passphrase");

            string[] priv = ["alice/priv"];
            Tokens["none"] = await Server.IssueAsync("alice", RepositoryAccess.Selected, priv);
            Tokens["contents:read"] = await Server.IssueAsync("alice", RepositoryAccess.Selected, priv, Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));
            Tokens["contents:write"] = await Server.IssueAsync("alice", RepositoryAccess.Selected, priv, Permissions((FineGrainedPermissions.Contents, PermissionLevel.Write)));
            Tokens["administration:read"] = await Server.IssueAsync("alice", RepositoryAccess.Selected, priv, Permissions((FineGrainedPermissions.Administration, PermissionLevel.Read)));
            Tokens["administration:write"] = await Server.IssueAsync("alice", RepositoryAccess.Selected, priv, Permissions((FineGrainedPermissions.Administration, PermissionLevel.Write)));
            Tokens["other:everything"] = await Server.IssueAsync("alice", RepositoryAccess.Selected, ["alice/other"],
                Permissions((FineGrainedPermissions.Contents, PermissionLevel.Write), (FineGrainedPermissions.Administration, PermissionLevel.Write)));
            Tokens["all:administration:write"] = await Server.IssueAsync("alice", RepositoryAccess.All, permissions: Permissions((FineGrainedPermissions.Administration, PermissionLevel.Write)));
            Tokens["public:none"] = await Server.IssueAsync("alice", RepositoryAccess.PublicOnly);
            Tokens["public:account"] = await Server.IssueAsync("alice", RepositoryAccess.PublicOnly,
                permissions: Permissions((FineGrainedPermissions.Profile, PermissionLevel.Write), (FineGrainedPermissions.EmailAddresses, PermissionLevel.Read)));
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    private const string NewFile = "{\"message\":\"m\",\"content\":\"aGk=\"}";

    // (method, path, body, token, expected status, expected X-Accepted-GitHub-Permissions or null for none).
    // "{fresh}" is a new private repository of alice's; "{unique}" a new name.
    public static TheoryData<string, string, string?, string, int, string?> Matrix => new()
    {
        { "GET", "user", null, "none", 200, null },
        { "GET", "user/token", null, "none", 200, null },

        { "GET", "user/emails", null, "none", 403, "email_addresses=read" },
        { "GET", "user/emails", null, "public:account", 200, "email_addresses=read" },
        { "PATCH", "user", "{}", "none", 403, "profile=write" },
        { "PATCH", "user", "{}", "public:account", 200, "profile=write" },

        { "GET", "repos/alice/priv", null, "none", 200, "metadata=read" },
        { "GET", "repos/alice/priv", null, "other:everything", 404, "metadata=read" },
        { "GET", "repos/alice/priv", null, "public:none", 404, "metadata=read" },

        { "GET", "repos/alice/priv/contents/README.md", null, "none", 403, "contents=read" },
        { "GET", "repos/alice/priv/contents/README.md", null, "contents:read", 200, "contents=read" },
        { "GET", "repos/alice/priv/contents/README.md", null, "contents:write", 200, "contents=read" },
        { "GET", "repos/alice/priv/contents/README.md", null, "administration:write", 403, "contents=read" },
        { "GET", "repos/alice/priv/contents/README.md", null, "other:everything", 404, "contents=read" },
        { "GET", "repos/alice/priv/readme", null, "contents:read", 200, "contents=read" },
        { "GET", "repos/alice/priv/branches", null, "none", 403, "contents=read" },
        { "GET", "repos/alice/priv/branches", null, "contents:read", 200, "contents=read" },
        { "GET", "repos/alice/priv/commits", null, "contents:read", 200, "contents=read" },

        { "PUT", "repos/alice/priv/contents/{unique}.txt", NewFile, "contents:read", 403, "contents=write" },
        { "PUT", "repos/alice/priv/contents/{unique}.txt", NewFile, "contents:write", 201, "contents=write" },
        { "PUT", "repos/alice/priv/contents/{unique}.txt", NewFile, "administration:write", 403, "contents=write" },
        { "PUT", "repos/alice/priv/contents/{unique}.txt", NewFile, "other:everything", 404, "contents=write" },

        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "contents:write", 403, "administration=write" },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "administration:read", 403, "administration=write" },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "administration:write", 200, "administration=write" },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "other:everything", 404, "administration=write" },

        { "PUT", "repos/alice/priv/collaborators/bob", "{\"permission\":\"pull\"}", "contents:write", 403, "administration=write" },
        { "PUT", "repos/alice/priv/collaborators/bob", "{\"permission\":\"pull\"}", "administration:write", 201, "administration=write" },

        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "administration:write", 403, "administration=write" },
        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "public:none", 403, "administration=write" },
        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "all:administration:write", 201, "administration=write" },

        { "DELETE", "repos/alice/{fresh}", null, "administration:write", 404, "administration=write" },
        { "DELETE", "repos/alice/{fresh}", null, "all:administration:write", 204, "administration=write" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Status(string method, string path, string? body, string token, int expected, string? accepted)
    {
        using var http = new HttpClient { BaseAddress = new Uri(world.Server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("fine-grained-matrix");
        if (path.Contains("{fresh}", StringComparison.Ordinal))
        {
            var fresh = world.Unique();
            using var create = new HttpRequestMessage(HttpMethod.Post, "user/repos") { Content = new StringContent($"{{\"name\":\"{fresh}\",\"private\":true}}", Encoding.UTF8, "application/json") };
            create.Headers.TryAddWithoutValidation("Authorization", "token " + world.Tokens["classic:repo"]);
            using var created = await http.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            path = path.Replace("{fresh}", fresh, StringComparison.Ordinal);
        }
        path = path.Replace("{unique}", world.Unique(), StringComparison.Ordinal);
        body = body?.Replace("{unique}", world.Unique(), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + world.Tokens[token]);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{method} {path} with {token}: {(int)response.StatusCode} {text}");
        if (expected == 403)
            Assert.Contains("\"message\":\"Resource not accessible by personal access token\"", text, StringComparison.Ordinal);
        Assert.Equal(accepted, response.Headers.TryGetValues("X-Accepted-GitHub-Permissions", out var values) ? string.Join(",", values) : null);
        Assert.False(response.Headers.Contains("X-OAuth-Scopes"), "fine-grained tokens have no OAuth scopes");
    }

    [Fact]
    public async Task A_token_describes_itself_at_user_token_without_its_secret()
    {
        using var http = new HttpClient { BaseAddress = new Uri(world.Server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("fine-grained-matrix");

        async Task<JsonElement> IntrospectAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "user/token");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + world.Tokens[token]);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.DoesNotContain(world.Tokens[token], text, StringComparison.Ordinal);
            return JsonDocument.Parse(text).RootElement.Clone();
        }

        var fine = await IntrospectAsync("contents:write");
        Assert.Equal("fine_grained", fine.GetProperty("type").GetString());
        Assert.Equal("alice", fine.GetProperty("owner").GetString());
        Assert.Equal("selected", fine.GetProperty("repository_selection").GetString());
        var repository = Assert.Single(fine.GetProperty("repositories").EnumerateArray());
        Assert.Equal("alice/priv", repository.GetProperty("full_name").GetString());
        Assert.True(repository.GetProperty("private").GetBoolean());
        Assert.Equal("write", fine.GetProperty("permissions").GetProperty("contents").GetString());
        Assert.Equal("read", fine.GetProperty("permissions").GetProperty("metadata").GetString());
        Assert.Equal(world.Tokens["contents:write"][^8..], fine.GetProperty("token_last_eight").GetString());
        var expires = fine.GetProperty("expires_at").GetDateTime();
        Assert.InRange(expires, world.Server.Clock.GetUtcNow().UtcDateTime.AddDays(29), world.Server.Clock.GetUtcNow().UtcDateTime.AddDays(31));

        var all = await IntrospectAsync("all:administration:write");
        Assert.Equal("all", all.GetProperty("repository_selection").GetString());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("repositories").ValueKind);

        var classic = await IntrospectAsync("classic:repo");
        Assert.Equal("classic", classic.GetProperty("type").GetString());
        Assert.Equal("repo", Assert.Single(classic.GetProperty("scopes").EnumerateArray()).GetString());

        using var anonymous = await http.GetAsync("user/token");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Administration_write_on_a_repository_changes_its_visibility_as_on_github()
    {
        using var http = new HttpClient { BaseAddress = new Uri(world.Server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("fine-grained-matrix");
        var name = world.Unique();
        using (var create = new HttpRequestMessage(HttpMethod.Post, "user/repos") { Content = new StringContent($"{{\"name\":\"{name}\",\"private\":true}}", Encoding.UTF8, "application/json") })
        {
            create.Headers.TryAddWithoutValidation("Authorization", "token " + world.Tokens["classic:repo"]);
            using var created = await http.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var contentsOnly = await world.Server.IssueAsync("alice", RepositoryAccess.Selected, [$"alice/{name}"], Permissions((FineGrainedPermissions.Contents, PermissionLevel.Write)));
        var admin = await world.Server.IssueAsync("alice", RepositoryAccess.Selected, [$"alice/{name}"], Permissions((FineGrainedPermissions.Administration, PermissionLevel.Write)));

        async Task<(HttpStatusCode Status, string Body)> PublishAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"repos/alice/{name}") { Content = new StringContent("{\"private\":false}", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var refused = await PublishAsync(contentsOnly);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("Resource not accessible by personal access token", refused.Body, StringComparison.Ordinal);
        var done = await PublishAsync(admin);
        Assert.True(done.Status == HttpStatusCode.OK, done.Body);
        Assert.Contains("\"private\":false", done.Body, StringComparison.Ordinal);
    }
}
