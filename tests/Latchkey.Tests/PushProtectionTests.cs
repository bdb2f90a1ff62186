using System.Net;
using Latchkey.Tests.Support;
using Latchkey.Tokens;

namespace Latchkey.Tests;

/// <summary>A push that holds a live token is refused before any ref moves, and the token dies.</summary>
public sealed class PushProtectionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "push protection passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Name, WebSession Web, string Token, GitClient Git, string Clone, string Url)> ClonedAsync()
    {
        var name = fixture.NewUsername("pusher");
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("app", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("push", ["repo"]);
        var git = new GitClient();
        var url = Server.Url($"/{name}/app.git");
        var clone = await git.CloneAsync(url, "app", name, token);
        Assert.True(clone.Succeeded, clone.ToString());
        return (name, web, token, git, Path.Combine(git.WorkDirectory, "app"), url);
    }

    private static int _lastAddress;

    /// <summary>
    /// Uses a token, each time from another loopback address: a revoked token's 401 counts against its
    /// address in the brute-force throttle, and the tests of this class share one server (and its clock).
    /// </summary>
    private async Task<HttpStatusCode> UseAsync(string owner, string token)
    {
        var from = IPAddress.Parse($"127.0.1.{Interlocked.Increment(ref _lastAddress)}");
        using var http = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{owner}/app.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string> RemoteMainAsync(GitClient git, string url, string user, string token)
    {
        var remote = await git.RunAsync(null, user, token, "ls-remote", url, "refs/heads/main");
        Assert.True(remote.Succeeded, remote.ToString());
        return remote.Output[..40];
    }

    [Fact]
    public async Task A_push_holding_a_live_token_is_refused_and_the_token_revoked()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        var before = await RemoteMainAsync(git, url, name, spare);

        await git.CommitFileAsync("app", "src/main.txt", "plain code\n", "Add code");
        await git.CommitFileAsync("app", "config/ci.env", $"GIT_TOKEN={token}\n", "Add CI settings");
        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");

        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains("remote: error: Push cannot contain secrets", push.Error, StringComparison.Ordinal);
        Assert.Contains(", path config/ci.env", push.Error, StringComparison.Ordinal);
        Assert.Contains("remote: The token has been revoked", push.Error, StringComparison.Ordinal);
        Assert.Contains("pre-receive hook declined", push.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(token, push.Error, StringComparison.Ordinal);

        // Nothing landed, and the leaked token is dead while the one that pushed still works.
        Assert.Equal(before, await RemoteMainAsync(git, url, name, spare));
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
        Assert.Equal(HttpStatusCode.OK, await UseAsync(name, spare));

        var (_, log) = await web.GetAsync("/settings/security-log");
        var decoded = WebUtility.HtmlDecode(log);
        Assert.Contains($"found by push protection in a push to {name}/app", decoded, StringComparison.Ordinal);
        Assert.Contains("git.push_protection_block", decoded, StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);

        // The owner is told by mail as well.
        var mail = Directory.EnumerateFiles(Path.Combine(Server.DataDirectory, "mail"), "*.eml").Select(File.ReadAllText)
            .Where(m => m.Contains($"To: {name} <{name}@example.test>", StringComparison.Ordinal) && m.Contains("was revoked", StringComparison.Ordinal)).ToList();
        var notice = Assert.Single(mail);
        Assert.Contains("Subject: [Latchkey] Your personal access token \"push\" was revoked", notice, StringComparison.Ordinal);
        Assert.Contains("found by push protection", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(token, notice, StringComparison.Ordinal);

        // Taking the secret out of history lets the push through.
        var reset = await git.RunAsync(clone, null, null, "reset", "--hard", "HEAD~1");
        Assert.True(reset.Succeeded, reset.ToString());
        var clean = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.True(clean.Succeeded, clean.ToString());
    }

    [Fact]
    public async Task With_push_protection_off_a_push_holding_a_live_token_is_accepted_and_the_token_lives()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Git:PushProtection"] = "false" });
        var name = "pusher";
        using var web = server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("app", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("push", ["repo"]);
        using var git = new GitClient();
        var url = server.Url($"/{name}/app.git");
        var cloned = await git.CloneAsync(url, "app", name, token);
        Assert.True(cloned.Succeeded, cloned.ToString());

        await git.CommitFileAsync("app", "config/ci.env", $"GIT_TOKEN={token}\n", "Add CI settings");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "app"), url, name, token, "HEAD:main");

        Assert.True(push.Succeeded, push.ToString());
        Assert.DoesNotContain("Push cannot contain secrets", push.Error, StringComparison.Ordinal);
        var local = await git.RunAsync(Path.Combine(git.WorkDirectory, "app"), null, null, "rev-parse", "HEAD");
        Assert.Equal(local.Output.Trim(), await RemoteMainAsync(git, url, name, token));
        using var http = new HttpClient(WebSession.Handler(null, IPAddress.Loopback)) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{name}/app.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>What the server said (git's "remote:" lines), apart from what the client prints of its own refspec.</summary>
    private static string RemoteLines(GitRun push) =>
        string.Join('\n', push.Error.Split('\n').Where(line => line.StartsWith("remote:", StringComparison.Ordinal)));

    /// <summary>The mail sent to an account, decoded (a body with a non-ASCII character travels encoded) and raw.</summary>
    private string OwnersMail(string name) => string.Join('\n', Directory.EnumerateFiles(Path.Combine(Server.DataDirectory, "mail"), "*.eml")
        .Select(file => (Raw: File.ReadAllText(file), Message: MimeKit.MimeMessage.Load(file)))
        .Where(m => m.Message.To.Mailboxes.Any(to => to.Address == $"{name}@example.test"))
        .Select(m => m.Message.TextBody + "\n" + m.Raw));

    [Theory]
    [InlineData("refs/heads/", "(branch name)")]
    [InlineData("refs/tags/", "(tag name)")]
    public async Task A_live_token_as_a_ref_name_is_refused_before_the_ref_exists_and_revoked(string namespaceOfRefs, string where)
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);

        // Nothing new in the push but the name: the commit is already on the server.
        var push = await git.PushAsync(clone, url, name, spare, $"HEAD:{namespaceOfRefs}{token}");

        Assert.False(push.Succeeded, push.ToString());
        var remote = RemoteLines(push);
        Assert.Contains("remote: error: Push cannot contain secrets", remote, StringComparison.Ordinal);
        Assert.Contains($", path {where}", remote, StringComparison.Ordinal);
        Assert.Contains("pre-receive hook declined", push.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(token, remote, StringComparison.Ordinal);

        // No reader ever sees the ref, and the token is dead while the one that pushed still works.
        var refs = await git.RunAsync(null, name, spare, "ls-remote", url);
        Assert.True(refs.Succeeded, refs.ToString());
        Assert.Contains("refs/heads/main", refs.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, refs.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
        Assert.Equal(HttpStatusCode.OK, await UseAsync(name, spare));

        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Contains($"found by push protection in a push to {name}/app, commit ", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
        Assert.Contains($"path {where}", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
        Assert.Contains("found by push protection", OwnersMail(name), StringComparison.Ordinal);
        Assert.DoesNotContain(token, OwnersMail(name), StringComparison.Ordinal);
        Assert.DoesNotContain(token, Server.AllLogs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_in_a_file_path_is_masked_in_every_message_push_protection_writes()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        await git.CommitFileAsync("app", $"keys/{token}.env", $"TOKEN={token}\n", "Keep the key where the deploy script finds it");

        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");

        Assert.False(push.Succeeded, push.ToString());
        var masked = TokenFormat.Redact(token);
        Assert.NotEqual(token, masked);
        Assert.Contains($", path keys/{masked}.env", push.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(token, push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));

        // The revocation reason names the place, masked, in the security log and in the owner's mail.
        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Contains($"found by push protection in a push to {name}/app, commit ", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
        Assert.Contains($"path keys/{masked}.env", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
        var mail = OwnersMail(name);
        Assert.Contains($"path keys/{masked}.env", mail, StringComparison.Ordinal);
        Assert.DoesNotContain(token, mail, StringComparison.Ordinal);
        Assert.DoesNotContain(token, Server.AllLogs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_in_a_commit_message_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        await File.WriteAllTextAsync(Path.Combine(clone, "a.txt"), "a\n");
        Assert.True((await git.RunAsync(clone, null, null, "add", "a.txt")).Succeeded);
        Assert.True((await git.RunAsync(clone, null, null, "commit", "-m", $"Use {token} for CI")).Succeeded);
        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains("path (commit message)", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
    }

    [Fact]
    public async Task A_token_that_only_a_merge_commit_adds_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        Assert.True((await git.RunAsync(clone, null, null, "checkout", "-q", "-b", "side")).Succeeded);
        await git.CommitFileAsync("app", "side.txt", "side\n", "Side work");
        Assert.True((await git.RunAsync(clone, null, null, "checkout", "-q", "main")).Succeeded);
        await git.CommitFileAsync("app", "main.txt", "main\n", "Main work");
        // The merge itself brings the secret (an "evil merge"): no parent has it.
        Assert.True((await git.RunAsync(clone, null, null, "merge", "--no-commit", "--no-ff", "side")).Succeeded);
        await File.WriteAllTextAsync(Path.Combine(clone, "merged.env"), $"TOKEN={token}\n");
        Assert.True((await git.RunAsync(clone, null, null, "add", "merged.env")).Succeeded);
        Assert.True((await git.RunAsync(clone, null, null, "commit", "-m", "Merge side")).Succeeded);

        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains("path merged.env", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
    }

    [Fact]
    public async Task A_token_in_an_annotated_tag_message_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        Assert.True((await git.RunAsync(clone, null, null, "tag", "-a", "v1", "-m", $"Release, deployed with {token}")).Succeeded);
        var push = await git.PushAsync(clone, url, name, spare, "refs/tags/v1");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains("path (tag message)", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
    }

    [Fact]
    public async Task A_token_in_a_tag_that_the_pushed_tag_points_to_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        Assert.True((await git.RunAsync(clone, null, null, "tag", "-a", "inner", "-m", $"Deployed with {token}")).Succeeded);
        Assert.True((await git.RunAsync(clone, null, null, "tag", "-a", "outer", "-m", "Release", "inner")).Succeeded);
        var push = await git.PushAsync(clone, url, name, spare, "refs/tags/outer");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains("remote: error: Push cannot contain secrets", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
    }

    [Fact]
    public async Task A_symlink_turned_into_a_file_holding_a_token_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        File.CreateSymbolicLink(Path.Combine(clone, "config"), "README.md");
        Assert.True((await git.RunAsync(clone, null, null, "add", "config")).Succeeded);
        Assert.True((await git.RunAsync(clone, null, null, "commit", "-m", "Link config")).Succeeded);
        Assert.True((await git.PushAsync(clone, url, name, spare, "HEAD:main")).Succeeded);
        File.Delete(Path.Combine(clone, "config"));
        await File.WriteAllTextAsync(Path.Combine(clone, "config"), $"TOKEN={token}\n");
        Assert.True((await git.RunAsync(clone, null, null, "add", "config")).Succeeded);
        Assert.True((await git.RunAsync(clone, null, null, "commit", "-m", "Inline config")).Succeeded);
        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains("path config", push.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_swapped_into_a_large_file_in_a_push_that_arrives_as_a_pack_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        // A settings file big enough for git to send the next version as a delta against this one.
        var settings = string.Join('\n', Enumerable.Range(0, 2000).Select(i => $"setting_{i} = value number {i}")) + "\n";
        var old = TokenFormat.Generate(TokenKind.Classic);
        await git.CommitFileAsync("app", "deploy/settings.ini", settings + $"token = {old}\n", "Add settings");
        Assert.True((await git.PushAsync(clone, url, name, spare, "HEAD:main")).Succeeded);
        var landed = (await git.RunAsync(clone, null, null, "rev-parse", "HEAD")).Output.Trim();

        // More than git's unpack limit of 100 objects, so the server keeps the push as a pack, and
        // only a few characters of the token line differ from the version the server already has.
        var generated = Path.Combine(clone, "generated");
        Directory.CreateDirectory(generated);
        for (var i = 0; i < 120; i++)
            await File.WriteAllTextAsync(Path.Combine(generated, $"part-{i:D3}.txt"), $"part {i}\n");
        await git.CommitFileAsync("app", "deploy/settings.ini", settings + $"token = {token}\n", "Rotate the deploy token");
        var objects = await git.RunAsync(clone, null, null, "rev-list", "--objects", "HEAD", "--not", landed);
        Assert.True(objects.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 100, objects.ToString());

        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains(", path deploy/settings.ini", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
    }

    [Fact]
    public async Task A_token_on_the_second_of_two_branches_pushed_at_once_is_caught()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        var before = await RemoteMainAsync(git, url, name, spare);
        await git.CommitFileAsync("app", "clean.txt", "nothing to see\n", "Clean work");
        Assert.True((await git.RunAsync(clone, null, null, "checkout", "-q", "-b", "feature")).Succeeded);
        await git.CommitFileAsync("app", "feature.env", $"TOKEN={token}\n", "Feature settings");

        var push = await git.RunAsync(clone, name, spare, "push", url, "main:main", "feature:feature");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains(", path feature.env", push.Error, StringComparison.Ordinal);
        // The refusal is for the whole push: the clean branch did not move either.
        Assert.Equal(before, await RemoteMainAsync(git, url, name, spare));
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
    }

    [Fact]
    public async Task Text_is_scanned_as_github_scans_it_binary_blobs_and_blobs_over_the_size_limit_are_not()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var spare = await web.CreateTokenAsync("spare", ["repo"]);
        // Binary by git's rule: a NUL byte in the first 8000 bytes. Over the limit: 1 MiB (Git:PushScanMaxBytes).
        await git.CommitFileAsync("app", "assets/texture.bin", "\0\u0001binary header\0" + $"{token}\n", "Add a texture");
        var large = string.Concat(Enumerable.Repeat("log line of a large text file\n", 40_000)) + $"TOKEN={token}\n";
        Assert.True(large.Length > 1024 * 1024);
        await git.CommitFileAsync("app", "logs/build.log", large, "Add a build log");
        var push = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());
        Assert.Equal(HttpStatusCode.OK, await UseAsync(name, token));

        // A NUL byte after the first 8000 bytes leaves a file text, and text just under the limit is read whole.
        var other = await web.CreateTokenAsync("other", ["repo"]);
        var lateNul = new string('x', 8000) + "\0" + $"TOKEN={other}\n";
        await git.CommitFileAsync("app", "data/late-nul.dat", lateNul, "Add data");
        var under = string.Concat(Enumerable.Repeat("y", 1024 * 1024 - 100)) + $"\n{token}\n";
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(under) <= 1024 * 1024);
        await git.CommitFileAsync("app", "data/under.txt", under, "Add more data");
        push = await git.PushAsync(clone, url, name, spare, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());
        Assert.Contains(", path data/late-nul.dat", push.Error, StringComparison.Ordinal);
        Assert.Contains(", path data/under.txt", push.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Killed", push.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await UseAsync(name, other));
    }

    [Fact]
    public async Task Token_shaped_strings_that_are_not_live_tokens_pass()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var neverIssued = TokenFormat.Generate(TokenKind.Classic);
        var typo = token[..^1] + (token[^1] == 'a' ? 'b' : 'a');
        await git.CommitFileAsync("app", "docs/example.md", $"Example: {neverIssued}\nTypo: {typo}\n", "Document token format");
        var push = await git.PushAsync(clone, url, name, token, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());
        Assert.Equal(HttpStatusCode.OK, await UseAsync(name, token));
    }

    [Fact]
    public async Task Someone_elses_leaked_token_is_revoked_and_its_owner_told()
    {
        var (name, web, token, git, clone, url) = await ClonedAsync();
        using var _ = web;
        using var __ = git;
        var victim = fixture.NewUsername("victim");
        using var victimWeb = Server.NewBrowserSession();
        await victimWeb.SignUpAsync(victim, Password);
        var victimToken = await victimWeb.CreateTokenAsync("laptop", ["repo"]);

        await git.CommitFileAsync("app", "notes.txt", $"found this: {victimToken}\n", "Notes");
        var push = await git.PushAsync(clone, url, name, token, "HEAD:main");
        Assert.False(push.Succeeded, push.ToString());

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + victimToken);
        await victimWeb.CreateRepositoryAsync("mine", isPrivate: true, addReadme: true);
        using (var response = await http.GetAsync($"{victim}/mine.git/info/refs?service=git-upload-pack"))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var (_, log) = await victimWeb.GetAsync("/settings/security-log");
        Assert.Contains($"found by push protection in a push to {name}/app", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
    }
}
