using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// What each token may do over git: rights are what the user may do ∩ what the scopes allow.
/// Alice owns a public and a private repository; Bob is another user.
/// </summary>
public sealed class GitScopeMatrixTests(GitScopeMatrixTests.World world) : IClassFixture<GitScopeMatrixTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        public LatchkeyServer Server => _fixture.Server;
        public Dictionary<string, string> Tokens { get; } = [];
        public GitClient Git { get; } = new();
        public string Seed { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using var alice = Server.NewBrowserSession();
            await alice.SignUpAsync("alice", "alice's long passphrase");
            await alice.CreateRepositoryAsync("pub", addReadme: true);
            await alice.CreateRepositoryAsync("priv", isPrivate: true, addReadme: true);
            Tokens["alice:repo"] = await alice.CreateTokenAsync("full", ["repo"]);
            Tokens["alice:public_repo"] = await alice.CreateTokenAsync("public only", ["public_repo"]);
            Tokens["alice:none"] = await alice.CreateTokenAsync("read public", []);
            Tokens["alice:user"] = await alice.CreateTokenAsync("profile", ["user"]);
            using var bob = Server.NewBrowserSession();
            await bob.SignUpAsync("bob", "bob's long passphrase");
            Tokens["bob:repo"] = await bob.CreateTokenAsync("full", ["repo"]);
            Seed = await Git.NewLocalRepositoryAsync("seed");
        }

        public async Task DisposeAsync()
        {
            Git.Dispose();
            await _fixture.DisposeAsync();
        }
    }

    private LatchkeyServer Server => world.Server;

    public static TheoryData<string, string, bool> Clones => new()
    {
        { "alice:repo", "pub", true },
        { "alice:repo", "priv", true },
        { "alice:public_repo", "pub", true },
        { "alice:public_repo", "priv", false },
        { "alice:none", "pub", true },
        { "alice:none", "priv", false },
        { "alice:user", "priv", false },
        { "bob:repo", "pub", true },
        { "bob:repo", "priv", false },
    };

    [Theory]
    [MemberData(nameof(Clones))]
    public async Task Clone(string who, string repo, bool allowed)
    {
        var user = who.Split(':')[0];
        var result = await world.Git.CloneAsync(Server.Url($"/alice/{repo}.git"), $"clone-{who.Replace(':', '-')}-{repo}", user, world.Tokens[who]);
        Assert.True(result.Succeeded == allowed, result.ToString());
        if (!allowed)
            Assert.Contains("Repository not found", result.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?> Pushes => new()
    {
        { "alice:repo", "pub", null },
        { "alice:repo", "priv", null },
        { "alice:public_repo", "pub", null },
        { "alice:public_repo", "priv", "Repository not found" },
        { "alice:none", "pub", "Permission to alice/pub.git denied to alice." },
        { "alice:none", "priv", "Repository not found" },
        { "bob:repo", "pub", "Permission to alice/pub.git denied to bob." },
        { "bob:repo", "priv", "Repository not found" },
    };

    [Theory]
    [MemberData(nameof(Pushes))]
    public async Task Push(string who, string repo, string? refusal)
    {
        var user = who.Split(':')[0];
        var branch = $"{who.Replace(':', '-').Replace('_', '-')}";
        var result = await world.Git.PushAsync(world.Seed, Server.Url($"/alice/{repo}.git"), user, world.Tokens[who], $"main:refs/heads/{branch}");
        if (refusal is null)
        {
            Assert.True(result.Succeeded, result.ToString());
        }
        else
        {
            Assert.False(result.Succeeded, result.ToString());
            Assert.Contains("remote: " + refusal, result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_forbidden_push_answers_403_with_the_permission_message()
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "alice/pub.git/info/refs?service=git-receive-pack");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String("bob:"u8.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes(world.Tokens["bob:repo"])).ToArray()));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Permission to alice/pub.git denied to bob.\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Anonymous_clone_of_a_public_repository_works_and_of_a_private_one_asks_for_credentials()
    {
        var pub = await world.Git.CloneAsync(Server.Url("/alice/pub.git"), "anon-pub");
        Assert.True(pub.Succeeded, pub.ToString());
        Assert.True(File.Exists(Path.Combine(world.Git.WorkDirectory, "anon-pub", "README.md")));

        var priv = await world.Git.CloneAsync(Server.Url("/alice/priv.git"), "anon-priv");
        Assert.False(priv.Succeeded, priv.ToString());

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var response = await http.GetAsync("alice/priv.git/info/refs?service=git-upload-pack");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"Latchkey\"", response.Headers.WwwAuthenticate.ToString());

        // Unknown repositories look the same as private ones to an anonymous caller.
        using var unknown = await http.GetAsync("alice/nothing-here.git/info/refs?service=git-upload-pack");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task An_unknown_repository_is_not_found_for_a_signed_in_caller()
    {
        var result = await world.Git.CloneAsync(Server.Url("/alice/does-not-exist.git"), "unknown", "alice", world.Tokens["alice:repo"]);
        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("remote: Repository not found.", result.Error, StringComparison.Ordinal);
        var nobody = await world.Git.CloneAsync(Server.Url("/no-such-owner/x.git"), "unknown-owner", "alice", world.Tokens["alice:repo"]);
        Assert.Contains("remote: Repository not found.", nobody.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_push_to_a_public_repository_is_challenged()
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var response = await http.GetAsync("alice/pub.git/info/refs?service=git-receive-pack");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("personal access token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_and_token_schemes_are_the_same_credential_as_basic()
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        foreach (var scheme in new[] { "Bearer", "token" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "alice/priv/info/refs?service=git-upload-pack");
            request.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {world.Tokens["alice:repo"]}");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/x-git-upload-pack-advertisement", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Protocol_v2_is_used_when_the_client_asks_for_it()
    {
        var result = await world.Git.RunAsync(null, "alice", world.Tokens["alice:repo"], "-c", "protocol.version=2", "ls-remote", Server.Url("/alice/priv.git"));
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("refs/heads/main", result.Output, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "alice/pub.git/info/refs?service=git-upload-pack");
        request.Headers.Add("Git-Protocol", "version=2");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("000eversion 2\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gzip_compressed_upload_pack_request_is_served()
    {
        var remote = await world.Git.RunAsync(null, "alice", world.Tokens["alice:repo"], "ls-remote", Server.Url("/alice/pub.git"), "refs/heads/main");
        Assert.True(remote.Succeeded, remote.ToString());
        var sha = remote.Output[..40];

        var request = System.Text.Encoding.ASCII.GetBytes($"0032want {sha}\n00000009done\n");
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(request);
        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/x-git-upload-pack-request");
        content.Headers.ContentEncoding.Add("gzip");
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var response = await http.PostAsync("alice/pub.git/git-upload-pack", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-git-upload-pack-result", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.StartsWith("0008NAK\n", System.Text.Encoding.ASCII.GetString(body, 0, 8), StringComparison.Ordinal);
        Assert.Contains("PACK", System.Text.Encoding.ASCII.GetString(body), StringComparison.Ordinal);
    }
}
