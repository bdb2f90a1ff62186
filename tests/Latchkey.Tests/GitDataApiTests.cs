using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Latchkey.Repositories;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static Latchkey.Tests.Support.FineGrainedTokens;

namespace Latchkey.Tests;

/// <summary>
/// The Git data API over HTTP: who may write, what is refused (non-fast-forwards, bad ref names, live
/// tokens, trees git's fsck refuses, malformed bodies) with nothing of a refused write left in the
/// repository, and reads shaped as GitHub's.
/// </summary>
public sealed class GitDataApiTests(GitDataApiTests.World world) : IClassFixture<GitDataApiTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        private int _counter;

        public LatchkeyServer Server => _fixture.Server;

        /// <summary>alice's classic token with repo.</summary>
        public string Token { get; private set; } = "";

        public string Unique() => "g" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using var alice = Server.NewBrowserSession();
            await alice.SignUpAsync("alice", "git data passphrase");
            Token = await Server.IssueClassicAsync("alice", ["repo"]);
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    private LatchkeyServer Server => world.Server;

    private sealed record Reply(int Status, string Body, HttpResponseMessage Response)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public string Message => Json.GetProperty("message").GetString()!;
        public override string ToString() => $"{Status}: {Body}";
    }

    private async Task<Reply> SendAsync(string method, string path, string? body = null, string? token = null, string? accept = null)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), "api/v3/" + path);
        if (token is not null)
            request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
        if (accept is not null)
            request.Headers.TryAddWithoutValidation("Accept", accept);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await http.SendAsync(request);
        return new Reply((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private Task<Reply> AliceAsync(string method, string path, object? body = null) =>
        SendAsync(method, path, body is null ? null : JsonSerializer.Serialize(body), world.Token);

    /// <summary>A new repository of alice's with a README on main; its name.</summary>
    private async Task<string> NewRepositoryAsync(bool isPrivate = true, bool autoInit = true)
    {
        var name = world.Unique();
        var created = await AliceAsync("POST", "user/repos", new { name, @private = isPrivate, auto_init = autoInit });
        Assert.True(created.Status == 201, created.ToString());
        return name;
    }

    private async Task<string> BarePathAsync(string name)
    {
        using var scope = Server.Services.CreateScope();
        var repo = await scope.ServiceProvider.GetRequiredService<RepositoryService>().FindAsync("alice", name, CancellationToken.None);
        return scope.ServiceProvider.GetRequiredService<RepositoryStore>().PathOf(repo!);
    }

    private static async Task<string> GitAsync(string directory, params string[] args)
    {
        using var git = new GitClient();
        var run = await git.RunAsync(directory, null, null, args);
        Assert.True(run.Succeeded, run.ToString());
        return run.Output;
    }

    /// <summary>Every object in the repository, and whatever a write left beside them.</summary>
    private async Task<string> EverythingInAsync(string name)
    {
        var path = await BarePathAsync(name);
        var objects = await GitAsync(path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)");
        var leftovers = Directory.GetDirectories(Path.Combine(path, "objects"), "tmp_objdir*");
        return objects + string.Join('\n', leftovers) + await GitAsync(path, "for-each-ref");
    }

    private async Task<string> HeadAsync(string name) => (await AliceAsync("GET", $"repos/alice/{name}/git/ref/heads/main")).Json.GetProperty("object").GetProperty("sha").GetString()!;

    private async Task<string> CommitOnAsync(string name, string parent, string message = "Next")
    {
        var tree = (await AliceAsync("GET", $"repos/alice/{name}/git/commits/{parent}")).Json.GetProperty("tree").GetProperty("sha").GetString()!;
        var commit = await AliceAsync("POST", $"repos/alice/{name}/git/commits", new { message, tree, parents = new[] { parent } });
        Assert.True(commit.Status == 201, commit.ToString());
        return commit.Json.GetProperty("sha").GetString()!;
    }

    [Fact]
    public async Task Writes_need_contents_write_and_a_private_repository_is_absent_to_a_token_without_repo()
    {
        var name = await NewRepositoryAsync();
        var head = await HeadAsync(name);
        var readOnly = await Server.IssueAsync("alice", RepositoryAccess.All, permissions: Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)));
        var noRepo = await Server.IssueClassicAsync("alice", ["user"]);
        (string Method, string Path, string Body)[] writes =
        [
            ("POST", "git/blobs", "{\"content\":\"x\"}"),
            ("POST", "git/trees", "{\"tree\":[]}"),
            ("POST", "git/commits", "{\"message\":\"m\",\"tree\":\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\"}"),
            ("POST", "git/tags", $"{{\"tag\":\"t\",\"message\":\"m\",\"object\":\"{head}\",\"type\":\"commit\"}}"),
            ("POST", "git/refs", $"{{\"ref\":\"refs/heads/x\",\"sha\":\"{head}\"}}"),
            ("PATCH", "git/refs/heads/main", $"{{\"sha\":\"{head}\",\"force\":true}}"),
            ("DELETE", "git/refs/heads/main", "{}"),
        ];
        var before = await EverythingInAsync(name);
        foreach (var (method, path, body) in writes)
        {
            var refused = await SendAsync(method, $"repos/alice/{name}/{path}", body, readOnly);
            Assert.True(refused.Status == 403, $"{method} {path} with Contents read: {refused}");
            Assert.Equal("contents=write", refused.Response.Headers.GetValues("X-Accepted-GitHub-Permissions").Single());
            var absent = await SendAsync(method, $"repos/alice/{name}/{path}", body, noRepo);
            Assert.True(absent.Status == 404 && absent.Message == "Not Found", $"{method} {path} with a token without repo: {absent}");
        }
        Assert.Equal(before, await EverythingInAsync(name));
        Assert.Equal(200, (await SendAsync("GET", $"repos/alice/{name}/git/refs", token: readOnly)).Status);
        Assert.Equal(404, (await SendAsync("GET", $"repos/alice/{name}/git/refs", token: noRepo)).Status);

        var open = await NewRepositoryAsync(isPrivate: false);
        var anonymous = await SendAsync("POST", $"repos/alice/{open}/git/blobs", "{\"content\":\"x\"}");
        Assert.True(anonymous.Status == 401 && anonymous.Message == "Requires authentication", anonymous.ToString());
        Assert.Equal(200, (await SendAsync("GET", $"repos/alice/{open}/git/refs/heads/main")).Status);
    }

    [Fact]
    public async Task A_branch_moves_back_only_with_force_and_a_missing_ref_is_named()
    {
        var name = await NewRepositoryAsync();
        var first = await HeadAsync(name);
        var second = await CommitOnAsync(name, first);
        var forward = await AliceAsync("PATCH", $"repos/alice/{name}/git/refs/heads/main", new { sha = second });
        Assert.True(forward.Status == 200, forward.ToString());

        var back = await AliceAsync("PATCH", $"repos/alice/{name}/git/refs/heads/main", new { sha = first });
        Assert.True(back.Status == 422 && back.Message == "Update is not a fast forward", back.ToString());
        var bare = await BarePathAsync(name);
        Assert.Equal(second + "\n", await GitAsync(bare, "rev-parse", "refs/heads/main"));
        var forced = await AliceAsync("PATCH", $"repos/alice/{name}/git/refs/heads/main", new { sha = first, force = true });
        Assert.True(forced.Status == 200, forced.ToString());
        Assert.Equal(first + "\n", await GitAsync(bare, "rev-parse", "refs/heads/main"));

        foreach (var method in new[] { "PATCH", "DELETE" })
        {
            var missing = await AliceAsync(method, $"repos/alice/{name}/git/refs/heads/nothing", new { sha = first });
            Assert.True(missing.Status == 422 && missing.Message == "Reference does not exist", $"{method}: {missing}");
        }
        // GitHub's refs/... in the path is a ref named refs/refs/...: absent too.
        var doubled = await AliceAsync("PATCH", $"repos/alice/{name}/git/refs/refs/heads/main", new { sha = first });
        Assert.True(doubled.Status == 422 && doubled.Message == "Reference does not exist", doubled.ToString());
        var gone = await AliceAsync("PATCH", $"repos/alice/{name}/git/refs/heads/main", new { sha = "1111111111111111111111111111111111111111" });
        Assert.True(gone.Status == 422 && gone.Message == "Object does not exist", gone.ToString());
    }

    [Theory]
    [InlineData("refs/heads/HEAD")]
    [InlineData("refs/heads/a..b")]
    [InlineData("refs/heads/x.lock")]
    [InlineData("refs/heads/.hidden")]
    [InlineData("refs/heads/with space")]
    [InlineData("refs/heads/trailing/")]
    [InlineData("refs/heads/-option")]
    [InlineData("heads/no-refs-prefix")]
    [InlineData("refs/one-slash")]
    public async Task A_ref_name_git_would_refuse_is_refused_and_nothing_is_created(string refName)
    {
        var name = await NewRepositoryAsync();
        var before = await EverythingInAsync(name);
        var refused = await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = refName, sha = await HeadAsync(name) });
        Assert.True(refused.Status == 422 && refused.Message == $"{refName} is not a valid ref name.", refused.ToString());
        Assert.Equal(before, await EverythingInAsync(name));
    }

    [Fact]
    public async Task A_ref_must_name_an_object_that_exists_and_a_branch_a_commit()
    {
        var name = await NewRepositoryAsync();
        var head = await HeadAsync(name);
        var tree = (await AliceAsync("GET", $"repos/alice/{name}/git/trees/main")).Json.GetProperty("sha").GetString();
        var missing = await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = "refs/heads/new", sha = "1111111111111111111111111111111111111111" });
        Assert.True(missing.Status == 422 && missing.Message == "Object does not exist", missing.ToString());
        var notCommit = await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = "refs/heads/new", sha = tree });
        Assert.True(notCommit.Status == 422, notCommit.ToString());
        var exists = await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = "refs/heads/main", sha = head });
        Assert.True(exists.Status == 422 && exists.Message == "Reference already exists", exists.ToString());
        // A tag may name a tree, as git allows.
        var treeTag = await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = "refs/tags/the-tree", sha = tree });
        Assert.True(treeTag.Status == 201, treeTag.ToString());
        Assert.Equal("tree", treeTag.Json.GetProperty("object").GetProperty("type").GetString());
    }

    public static TheoryData<string> Leaks => new() { "blob", "tree path", "tree content", "commit message", "commit author", "tag name", "tag message", "ref name" };

    [Theory]
    [MemberData(nameof(Leaks))]
    public async Task A_live_token_in_what_is_written_is_refused_and_revoked_and_nothing_is_written(string where)
    {
        var name = await NewRepositoryAsync();
        var head = await HeadAsync(name);
        var tree = (await AliceAsync("GET", $"repos/alice/{name}/git/commits/{head}")).Json.GetProperty("tree").GetProperty("sha").GetString();
        var victim = await Server.IssueClassicAsync("alice", ["repo"]);
        Assert.Equal(200, (await SendAsync("GET", "user", token: victim)).Status);
        var before = await EverythingInAsync(name);

        var (path, body) = where switch
        {
            "blob" => ("git/blobs", (object)new { content = $"TOKEN={victim}\n" }),
            "tree path" => ("git/trees", new { tree = new[] { new { path = $"keys/{victim}.txt", mode = "100644", type = "blob", content = "x" } } }),
            "tree content" => ("git/trees", new { tree = new[] { new { path = "ci.env", mode = "100644", type = "blob", content = $"TOKEN={victim}" } } }),
            "commit message" => ("git/commits", new { message = $"Use {victim}", tree, parents = new[] { head } }),
            "commit author" => ("git/commits", new { message = "m", tree, author = new { name = victim, email = "a@example.test" } }),
            "tag name" => ("git/tags", new { tag = victim, message = "m", @object = head, type = "commit" }),
            "tag message" => ("git/tags", new { tag = "v1", message = $"token {victim}", @object = head, type = "commit" }),
            _ => ("git/refs", new { @ref = $"refs/heads/{victim}", sha = head }),
        };
        var refused = await AliceAsync("POST", $"repos/alice/{name}/{path}", body);
        Assert.True(refused.Status == 409, refused.ToString());
        Assert.Contains("Push cannot contain secrets", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(victim, refused.Body, StringComparison.Ordinal);
        Assert.Equal(401, (await SendAsync("GET", "user", token: victim)).Status);
        Assert.Equal(before, await EverythingInAsync(name));
    }

    [Fact]
    public async Task A_tree_git_fsck_refuses_is_refused_with_gits_words_and_nothing_is_left()
    {
        var name = await NewRepositoryAsync();
        var before = await EverythingInAsync(name);
        // A submodule URL that reads as an option (CVE-2018-17456) is what receive.fsckObjects refuses in a push.
        var hostile = await AliceAsync("POST", $"repos/alice/{name}/git/trees", new
        {
            tree = new[] { new { path = ".gitmodules", mode = "100644", type = "blob", content = "[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/owned\n" } },
        });
        Assert.True(hostile.Status == 422, hostile.ToString());
        Assert.Contains("gitmodulesUrl", hostile.Message, StringComparison.Ordinal);
        Assert.Equal(before, await EverythingInAsync(name));

        foreach (var path in new[] { "../escape.txt", "a/./b.txt", "a//b.txt", "/rooted.txt" })
        {
            var malformed = await AliceAsync("POST", $"repos/alice/{name}/git/trees", new { tree = new[] { new { path, mode = "100644", type = "blob", content = "x" } } });
            Assert.True(malformed.Status == 422 && malformed.Message == "tree.path contains a malformed path component", $"{path}: {malformed}");
        }
        var dotGit = await AliceAsync("POST", $"repos/alice/{name}/git/trees", new { tree = new[] { new { path = ".git/hooks/post-checkout", mode = "100755", type = "blob", content = "#!/bin/sh\n" } } });
        Assert.True(dotGit.Status == 422, dotGit.ToString());
        Assert.Contains(".git/hooks/post-checkout", dotGit.Message, StringComparison.Ordinal);
        Assert.Equal(before, await EverythingInAsync(name));
    }

    [Fact]
    public async Task Malformed_bodies_are_400_and_missing_fields_422_invalid_request()
    {
        var name = await NewRepositoryAsync();
        var broken = await SendAsync("POST", $"repos/alice/{name}/git/blobs", "{\"content\":", world.Token);
        Assert.True(broken.Status == 400 && broken.Message == "Problems parsing JSON", broken.ToString());
        (string Path, string Body, string Field)[] missing =
        [
            ("git/blobs", "{}", "content"),
            ("git/trees", "{\"base_tree\":null}", "tree"),
            ("git/commits", "{\"message\":\"m\"}", "tree"),
            ("git/tags", "{\"tag\":\"v1\",\"message\":\"m\",\"type\":\"commit\"}", "object"),
            ("git/refs", "{\"ref\":\"refs/heads/x\"}", "sha"),
        ];
        foreach (var (path, body, field) in missing)
        {
            var reply = await SendAsync("POST", $"repos/alice/{name}/{path}", body, world.Token);
            Assert.True(reply.Status == 422 && reply.Message == "Invalid request.", $"{path} {body}: {reply}");
            var error = Assert.Single(reply.Json.GetProperty("errors").EnumerateArray());
            Assert.Equal((field, "missing_field"), (error.GetProperty("field").GetString(), error.GetProperty("code").GetString()));
        }
        var encoding = await SendAsync("POST", $"repos/alice/{name}/git/blobs", "{\"content\":\"x\",\"encoding\":\"latin1\"}", world.Token);
        Assert.True(encoding.Status == 422, encoding.ToString());
        var badDate = await AliceAsync("POST", $"repos/alice/{name}/git/commits",
            new { message = "m", tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904", author = new { name = "A", email = "a@example.test", date = "yesterday" } });
        Assert.True(badDate.Status == 422, badDate.ToString());
        var noEmail = await AliceAsync("POST", $"repos/alice/{name}/git/commits",
            new { message = "m", tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904", author = new { name = "A" } });
        Assert.True(noEmail.Status == 422 && noEmail.Json.GetProperty("errors")[0].GetProperty("field").GetString() == "author.email", noEmail.ToString());
        var badName = await AliceAsync("POST", $"repos/alice/{name}/git/commits",
            new { message = "m", tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904", author = new { name = "A <evil>", email = "a@example.test" } });
        Assert.True(badName.Status == 422, badName.ToString());
    }

    [Fact]
    public async Task Blobs_trees_and_commits_read_as_github_shapes_them_and_as_git_stores_them()
    {
        var name = await NewRepositoryAsync();
        var bare = await BarePathAsync(name);
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var blob = await AliceAsync("POST", $"repos/alice/{name}/git/blobs", new { content = Convert.ToBase64String(bytes), encoding = "base64" });
        Assert.True(blob.Status == 201, blob.ToString());
        var sha = blob.Json.GetProperty("sha").GetString()!;
        Assert.Equal(Server.Url($"api/v3/repos/alice/{name}/git/blobs/{sha}"), blob.Json.GetProperty("url").GetString());
        Assert.Equal("300\n", await GitAsync(bare, "cat-file", "-s", sha));

        var read = await AliceAsync("GET", $"repos/alice/{name}/git/blobs/{sha}");
        Assert.Equal(300, read.Json.GetProperty("size").GetInt32());
        var content = read.Json.GetProperty("content").GetString()!;
        Assert.EndsWith("\n", content, StringComparison.Ordinal);
        Assert.All(content.TrimEnd('\n').Split('\n'), line => Assert.True(line.Length <= 60, line));
        Assert.Equal(bytes, Convert.FromBase64String(content));
        var raw = await SendAsync("GET", $"repos/alice/{name}/git/blobs/{sha}", token: world.Token, accept: "application/vnd.github.raw");
        Assert.Equal(bytes, await raw.Response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/vnd.github.raw", raw.Response.Content.Headers.ContentType?.MediaType);

        var shortSha = await AliceAsync("GET", $"repos/alice/{name}/git/blobs/abc");
        Assert.True(shortSha.Status == 422, shortSha.ToString());
        var unknown = await AliceAsync("GET", $"repos/alice/{name}/git/blobs/1111111111111111111111111111111111111111");
        Assert.True(unknown.Status == 404 && unknown.Message == "Not Found", unknown.ToString());

        // A nested path, an executable, and the README removed with "sha": null, on top of main's tree.
        var baseTree = (await AliceAsync("GET", $"repos/alice/{name}/git/trees/main")).Json.GetProperty("sha").GetString()!;
        var tree = await SendAsync("POST", $"repos/alice/{name}/git/trees", $$"""
            {"base_tree":"{{baseTree}}","tree":[
              {"path":"a/b/c.bin","mode":"100644","type":"blob","sha":"{{sha}}"},
              {"path":"run.sh","mode":"100755","type":"blob","content":"#!/bin/sh\necho hi\n"},
              {"path":"README.md","mode":"100644","type":"blob","sha":null}]}
            """, world.Token);
        Assert.True(tree.Status == 201, tree.ToString());
        var treeSha = tree.Json.GetProperty("sha").GetString()!;
        Assert.Equal("040000 tree a\n100755 blob run.sh\n", string.Concat((await GitAsync(bare, "ls-tree", treeSha)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t')).Select(p => $"{p[0][..11]} {p[1]}\n")));
        Assert.Equal(["a", "run.sh"], tree.Json.GetProperty("tree").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        var recursive = await AliceAsync("GET", $"repos/alice/{name}/git/trees/{treeSha}?recursive=1");
        Assert.Equal(["a", "a/b", "a/b/c.bin", "run.sh"], recursive.Json.GetProperty("tree").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.False(recursive.Json.GetProperty("truncated").GetBoolean());
        var file = recursive.Json.GetProperty("tree").EnumerateArray().Single(e => e.GetProperty("path").GetString() == "a/b/c.bin");
        Assert.Equal(300, file.GetProperty("size").GetInt32());
        Assert.False(recursive.Json.GetProperty("tree").EnumerateArray().Single(e => e.GetProperty("path").GetString() == "a").TryGetProperty("size", out _));

        // An author's time zone is kept, as git keeps it.
        var commit = await AliceAsync("POST", $"repos/alice/{name}/git/commits", new
        {
            message = "Binary and a script\n\nWith a body.",
            tree = treeSha,
            parents = new[] { await HeadAsync(name) },
            author = new { name = "Grace Hopper", email = "grace@example.test", date = "2026-01-02T03:04:05+02:00" },
        });
        Assert.True(commit.Status == 201, commit.ToString());
        var commitSha = commit.Json.GetProperty("sha").GetString()!;
        Assert.Equal("Grace Hopper <grace@example.test> 1767315845 +0200", (await GitAsync(bare, "log", "-1", "--format=%an <%ae> %ad", "--date=raw", commitSha)).Trim());
        Assert.Equal("Binary and a script\n\nWith a body.", commit.Json.GetProperty("message").GetString());
        Assert.Equal("Grace Hopper", commit.Json.GetProperty("committer").GetProperty("name").GetString());
        Assert.False(commit.Json.GetProperty("verification").GetProperty("verified").GetBoolean());
        var notACommit = await AliceAsync("GET", $"repos/alice/{name}/git/commits/{treeSha}");
        Assert.True(notACommit.Status == 404, notACommit.ToString());
        var notATree = await AliceAsync("POST", $"repos/alice/{name}/git/commits", new { message = "m", tree = sha });
        Assert.True(notATree.Status == 422 && notATree.Message == "Tree SHA does not exist", notATree.ToString());
    }

    [Fact]
    public async Task An_empty_repository_gets_its_first_branch_through_the_git_data_api()
    {
        var name = await NewRepositoryAsync(autoInit: false);
        var empty = await AliceAsync("GET", $"repos/alice/{name}/git/refs");
        Assert.True(empty.Status == 409 && empty.Message == "Git Repository is empty.", empty.ToString());
        var tree = await AliceAsync("POST", $"repos/alice/{name}/git/trees", new { tree = new[] { new { path = "hello.txt", mode = "100644", type = "blob", content = "hi\n" } } });
        var commit = await AliceAsync("POST", $"repos/alice/{name}/git/commits", new { message = "First", tree = tree.Json.GetProperty("sha").GetString() });
        Assert.Equal(0, commit.Json.GetProperty("parents").GetArrayLength());
        var sha = commit.Json.GetProperty("sha").GetString()!;
        var created = await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = "refs/heads/trunk", sha });
        Assert.True(created.Status == 201, created.ToString());
        Assert.Equal(Server.Url($"api/v3/repos/alice/{name}/git/refs/heads/trunk"), created.Json.GetProperty("url").GetString());
        Assert.Equal(Server.Url($"api/v3/repos/alice/{name}/git/refs/heads/trunk"), created.Response.Headers.Location?.ToString());
        Assert.Equal("trunk", (await AliceAsync("GET", $"repos/alice/{name}")).Json.GetProperty("default_branch").GetString());
        // A commit of the empty tree (which git knows without storing it) is whole too.
        var nothing = await AliceAsync("POST", $"repos/alice/{name}/git/commits", new { message = "Nothing", tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904" });
        Assert.Equal(201, (await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = "refs/heads/nothing", sha = nothing.Json.GetProperty("sha").GetString() })).Status);

        using var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/alice/{name}.git"), name, "alice", world.Token);
        Assert.True(clone.Succeeded, clone.ToString());
        Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(git.WorkDirectory, name, "hello.txt")));
        var work = Path.Combine(git.WorkDirectory, name);
        Assert.Equal("", await GitAsync(work, "fsck", "--strict", "--no-dangling"));
        Assert.Equal("", await GitAsync(work, "ls-tree", "origin/nothing"));
    }

    [Fact]
    public async Task A_ref_move_never_overwrites_a_push_made_meanwhile()
    {
        var name = await NewRepositoryAsync();
        var before = await HeadAsync(name);
        var ours = await CommitOnAsync(name, before, "Ours");
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/alice/{name}.git"), name, "alice", world.Token)).Succeeded);
        var work = Path.Combine(git.WorkDirectory, name);
        await git.CommitFileAsync(name, "pushed.txt", "pushed\n", "Pushed meanwhile");
        var push = await git.PushAsync(work, Server.Url($"/alice/{name}.git"), "alice", world.Token);
        Assert.True(push.Succeeded, push.ToString());
        var pushed = (await GitAsync(work, "rev-parse", "HEAD")).Trim();

        // The API read main at `before`; its compare-and-swap from there fails, and the push stands.
        using var scope = Server.Services.CreateScope();
        var repo = await scope.ServiceProvider.GetRequiredService<RepositoryService>().FindAsync("alice", name, CancellationToken.None);
        Assert.False(await scope.ServiceProvider.GetRequiredService<GitObjects>().MoveRefAsync(repo!, "refs/heads/main", before, ours, CancellationToken.None));
        Assert.Equal(pushed, await HeadAsync(name));
    }

    [Fact]
    public async Task Refs_tags_and_a_branch_read_in_githubs_shapes()
    {
        var name = await NewRepositoryAsync(isPrivate: false);
        var head = await HeadAsync(name);
        foreach (var tag in new[] { "v1.2", "v1.10", "v1.9" })
            Assert.Equal(201, (await AliceAsync("POST", $"repos/alice/{name}/git/refs", new { @ref = $"refs/tags/{tag}", sha = head })).Status);

        var page = await AliceAsync("GET", $"repos/alice/{name}/tags?per_page=2");
        Assert.Equal(["v1.10", "v1.9"], page.Json.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Contains("rel=\"next\"", page.Response.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var first = page.Json[0];
        Assert.Equal(head, first.GetProperty("commit").GetProperty("sha").GetString());
        Assert.Equal(Server.Url($"api/v3/repos/alice/{name}/zipball/refs/tags/v1.10"), first.GetProperty("zipball_url").GetString());

        var tags = await AliceAsync("GET", $"repos/alice/{name}/git/refs/tags");
        Assert.Equal(JsonValueKind.Array, tags.Json.ValueKind);
        Assert.Equal(3, tags.Json.GetArrayLength());
        var one = await AliceAsync("GET", $"repos/alice/{name}/git/refs/tags%2Fv1.2");
        Assert.Equal("refs/tags/v1.2", one.Json.GetProperty("ref").GetString());
        Assert.Equal(Server.Url($"api/v3/repos/alice/{name}/git/commits/{head}"), one.Json.GetProperty("object").GetProperty("url").GetString());
        Assert.Equal(404, (await AliceAsync("GET", $"repos/alice/{name}/git/ref/tags")).Status);
        Assert.Equal(["refs/tags/v1.10"], (await AliceAsync("GET", $"repos/alice/{name}/git/matching-refs/tags/v1.1")).Json.EnumerateArray().Select(r => r.GetProperty("ref").GetString()));
        Assert.Equal(0, (await AliceAsync("GET", $"repos/alice/{name}/git/matching-refs/heads/none")).Json.GetArrayLength());

        var branch = await AliceAsync("GET", $"repos/alice/{name}/branches/main");
        Assert.Equal(head, branch.Json.GetProperty("commit").GetProperty("sha").GetString());
        Assert.Equal("Initial commit", branch.Json.GetProperty("commit").GetProperty("commit").GetProperty("message").GetString());
        Assert.Equal(Server.Url($"alice/{name}/tree/main"), branch.Json.GetProperty("_links").GetProperty("html").GetString());
        Assert.Equal(Server.Url($"api/v3/repos/alice/{name}/branches/main/protection"), branch.Json.GetProperty("protection_url").GetString());
        Assert.False(branch.Json.GetProperty("protected").GetBoolean());
    }
}
