using System.Net;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// Each endpoint × {no token, token without the needed scope, token with it, another user's token,
/// a suspended user's token} → the status GitHub would give.
/// </summary>
public sealed class ApiStatusMatrixTests(ApiStatusMatrixTests.World world) : IClassFixture<ApiStatusMatrixTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        private int _counter;
        public LatchkeyServer Server => _fixture.Server;
        public Dictionary<string, string> Tokens { get; } = [];

        public string Unique() => "m" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            const string Password = "status matrix passphrase";
            using var root = Server.NewBrowserSession();
            await root.SignUpAsync("root", Password);
            Tokens["root:repo"] = await root.CreateTokenAsync("repo", ["repo"]);
            Tokens["root:site_admin"] = await root.CreateTokenAsync("admin", ["site_admin"]);

            using var alice = Server.NewBrowserSession();
            await alice.SignUpAsync("alice", Password);
            await alice.CreateRepositoryAsync("priv", isPrivate: true, addReadme: true);
            Tokens["alice:none"] = await alice.CreateTokenAsync("none", []);
            Tokens["alice:repo"] = await alice.CreateTokenAsync("repo", ["repo"]);
            Tokens["alice:user:email"] = await alice.CreateTokenAsync("email", ["user:email"]);
            Tokens["alice:delete"] = await alice.CreateTokenAsync("delete", ["repo", "delete_repo"]);
            Tokens["alice:invite"] = await alice.CreateTokenAsync("invite", ["repo:invite"]);

            using var bob = Server.NewBrowserSession();
            await bob.SignUpAsync("bob", Password);
            Tokens["bob:all"] = await bob.CreateTokenAsync("all", ["repo", "user", "delete_repo"]);

            using var carol = Server.NewBrowserSession();
            await carol.SignUpAsync("carol", Password);
            Tokens["carol:all"] = await carol.CreateTokenAsync("all", ["repo", "user", "delete_repo"]);
            using var http = new HttpClient { BaseAddress = new Uri(Server.BaseAddress, "api/v3/") };
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + Tokens["root:site_admin"]);
            using var suspend = await http.PutAsync("users/carol/suspended", null);
            Assert.Equal(HttpStatusCode.NoContent, suspend.StatusCode);
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    // (method, path, body, credential, expected). "{fresh}" is a new private repository of alice's.
    public static TheoryData<string, string, string?, string?, int> Matrix => new()
    {
        { "GET", "user", null, null, 401 },
        { "GET", "user", null, "alice:none", 200 },
        { "GET", "user", null, "bob:all", 200 },
        { "GET", "user", null, "carol:all", 401 },

        { "GET", "user/emails", null, null, 401 },
        { "GET", "user/emails", null, "alice:none", 404 },
        { "GET", "user/emails", null, "alice:user:email", 200 },
        { "GET", "user/emails", null, "carol:all", 401 },

        { "GET", "repos/alice/priv", null, null, 404 },
        { "GET", "repos/alice/priv", null, "alice:none", 404 },
        { "GET", "repos/alice/priv", null, "alice:repo", 200 },
        { "GET", "repos/alice/priv", null, "bob:all", 404 },
        { "GET", "repos/alice/priv", null, "carol:all", 401 },

        { "GET", "repos/alice/priv/contents/README.md", null, null, 404 },
        { "GET", "repos/alice/priv/contents/README.md", null, "alice:none", 404 },
        { "GET", "repos/alice/priv/contents/README.md", null, "alice:repo", 200 },
        { "GET", "repos/alice/priv/contents/README.md", null, "bob:all", 404 },
        { "GET", "repos/alice/priv/contents/README.md", null, "carol:all", 401 },

        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", null, 401 },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "alice:none", 404 },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "alice:repo", 200 },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "bob:all", 404 },
        { "PATCH", "repos/alice/priv", "{\"description\":\"d\"}", "carol:all", 401 },

        { "DELETE", "repos/alice/{fresh}", null, null, 401 },
        { "DELETE", "repos/alice/{fresh}", null, "alice:repo", 403 },
        { "DELETE", "repos/alice/{fresh}", null, "alice:delete", 204 },
        { "DELETE", "repos/alice/{fresh}", null, "bob:all", 404 },
        { "DELETE", "repos/alice/{fresh}", null, "carol:all", 401 },

        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", null, 401 },
        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "alice:none", 403 },
        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "alice:repo", 201 },
        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "bob:all", 201 },
        { "POST", "user/repos", "{\"name\":\"{unique}\",\"private\":true}", "carol:all", 401 },

        { "PUT", "repos/alice/priv/collaborators/bob", "{\"permission\":\"pull\"}", null, 401 },
        { "PUT", "repos/alice/priv/collaborators/bob", "{\"permission\":\"pull\"}", "alice:none", 404 },
        { "PUT", "repos/alice/priv/collaborators/bob", "{\"permission\":\"pull\"}", "alice:repo", 201 },
        { "PUT", "repos/alice/priv/collaborators/root", "{\"permission\":\"pull\"}", "bob:all", 404 },
        { "PUT", "repos/alice/priv/collaborators/bob", "{\"permission\":\"pull\"}", "carol:all", 401 },

        { "GET", "user/repository_invitations", null, null, 401 },
        { "GET", "user/repository_invitations", null, "alice:none", 403 },
        { "GET", "user/repository_invitations", null, "alice:invite", 200 },
        { "GET", "user/repository_invitations", null, "bob:all", 200 },
        { "GET", "user/repository_invitations", null, "carol:all", 401 },

        { "POST", "admin/users", "{\"login\":\"{unique}\",\"email\":\"{unique}@example.test\"}", null, 401 },
        { "POST", "admin/users", "{\"login\":\"{unique}\",\"email\":\"{unique}@example.test\"}", "root:repo", 403 },
        { "POST", "admin/users", "{\"login\":\"{unique}\",\"email\":\"{unique}@example.test\"}", "root:site_admin", 201 },
        { "POST", "admin/users", "{\"login\":\"{unique}\",\"email\":\"{unique}@example.test\"}", "bob:all", 404 },
        { "POST", "admin/users", "{\"login\":\"{unique}\",\"email\":\"{unique}@example.test\"}", "carol:all", 401 },

        { "GET", "admin/personal-access-tokens", null, null, 401 },
        { "GET", "admin/personal-access-tokens", null, "root:repo", 403 },
        { "GET", "admin/personal-access-tokens", null, "root:site_admin", 200 },
        { "GET", "admin/personal-access-tokens", null, "bob:all", 404 },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Status(string method, string path, string? body, string? credential, int expected)
    {
        // A suspended user's token counts as a failed credential: those calls come from their own
        // address, so the throttle they trip does not touch the other rows.
        using var http = new HttpClient(WebSession.Handler(null, credential == "carol:all" ? IPAddress.Parse("127.0.0.30") : null))
        {
            BaseAddress = new Uri(world.Server.BaseAddress, "api/v3/"),
        };
        if (path.Contains("{fresh}", StringComparison.Ordinal))
        {
            var fresh = world.Unique();
            using var create = new HttpRequestMessage(HttpMethod.Post, "user/repos") { Content = new StringContent($"{{\"name\":\"{fresh}\",\"private\":true}}", Encoding.UTF8, "application/json") };
            create.Headers.TryAddWithoutValidation("Authorization", "token " + world.Tokens["alice:repo"]);
            using var created = await http.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            path = path.Replace("{fresh}", fresh, StringComparison.Ordinal);
        }
        if (body is not null)
            body = body.Replace("{unique}", world.Unique(), StringComparison.Ordinal);

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (credential is not null)
            request.Headers.TryAddWithoutValidation("Authorization", "token " + world.Tokens[credential]);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{method} {path} as {credential ?? "anonymous"}: {(int)response.StatusCode} {text}");
        if (expected >= 400)
            Assert.Contains("\"message\":", text, StringComparison.Ordinal);
    }
}
