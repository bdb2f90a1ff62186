using System.Security.Cryptography;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// Identical clones at once get one answer, generated once and streamed to all of them: over protocol
/// v2 the whole upload-pack answer (<c>KEY.response</c>), over v0 (not cached whole) the pack through
/// the pack-objects hook (<c>KEY.pack</c>). Never across a ref change or to another repository, never
/// after its time is up; a failed answer is never taken for a whole one, and a writer that died leaves
/// nothing that breaks the next clone. Each served request is written down as miss, follow or hit.
/// </summary>
public sealed class PackCacheTests
{
    private const string Password = "pack cache passphrase";
    private static readonly string[] Shared = ["follow", "hit"];

    private sealed record Site(LatchkeyServer Server, WebSession Web, string Token, GitClient Git, string Url, string Work) : IAsyncDisposable
    {
        public string Cache => Path.Combine(Server.DataDirectory, "pack-cache", Environment.MachineName);

        public async ValueTask DisposeAsync()
        {
            Git.Dispose();
            Web.Dispose();
            await Server.DisposeAsync();
        }

        /// <summary>What each served request of every cached pack was, by key.</summary>
        public Dictionary<string, string[]> Served() => Directory.EnumerateFiles(Cache, "*.served")
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), File.ReadAllLines);
    }

    /// <summary>A private repository with 12 MB that do not compress (a pack worth sharing), cloned once.</summary>
    private static async Task<Site> StartAsync(Dictionary<string, string>? settings = null)
    {
        var server = await LatchkeyServer.StartAsync(settings);
        var web = server.NewBrowserSession();
        await web.SignUpAsync("fleet", Password);
        await web.CreateRepositoryAsync("game", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("ci", ["repo"]);
        var git = new GitClient();
        var url = server.Url("/fleet/game.git");
        Assert.True((await git.CloneAsync(url, "game", "fleet", token)).Succeeded);
        var clone = Path.Combine(git.WorkDirectory, "game");
        Directory.CreateDirectory(Path.Combine(clone, "assets"));
        for (var i = 0; i < 3; i++)
            await File.WriteAllBytesAsync(Path.Combine(clone, "assets", $"level-{i}.bin"), RandomNumberGenerator.GetBytes(4 * 1024 * 1024));
        await git.CommitFileAsync("game", "assets/README", "levels\n", "Add levels");
        Assert.True((await git.PushAsync(clone, url, "fleet", token, "HEAD:main")).Succeeded);
        return new Site(server, web, token, git, url, clone);
    }

    /// <summary>Where each protocol's answers are kept: v2 clones are answered whole, v0 ones through the pack hook.</summary>
    private static string Kept(string protocol) => protocol == "2" ? ".response" : ".pack";

    private static async Task<string> BareCloneAsync(Site site, string into, string protocol = "2", string? url = null)
    {
        var clone = await site.Git.RunAsync(null, "fleet", site.Token, "-c", "protocol.version=" + protocol, "clone", "--bare", "--quiet", url ?? site.Url, into);
        Assert.True(clone.Succeeded, clone.ToString());
        var path = Path.Combine(site.Git.WorkDirectory, into);
        var fsck = await site.Git.RunAsync(null, null, null, "--git-dir", path, "fsck", "--strict", "--no-progress");
        Assert.True(fsck.Succeeded, fsck.ToString());
        return (await site.Git.RunAsync(null, null, null, "--git-dir", path, "rev-parse", "main")).Output.Trim();
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    public async Task Six_identical_clones_at_once_share_one_answer_generated_once(string protocol)
    {
        await using var site = await StartAsync();
        var before = site.Served().Keys.ToHashSet();

        var heads = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => BareCloneAsync(site, $"fleet-{i}.git", protocol)));

        var expected = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim();
        Assert.All(heads, head => Assert.Equal(expected, head));
        var (key, served) = Assert.Single(site.Served(), entry => !before.Contains(entry.Key));
        Assert.Equal(6, served.Length);
        Assert.Equal(1, served.Count(s => s == "miss"));
        Assert.All(served.Where(s => s != "miss"), s => Assert.Contains(s, Shared));
        Assert.True(File.Exists(Path.Combine(site.Cache, key + Kept(protocol))));
        Assert.Empty(Directory.EnumerateDirectories(site.Cache, "*.lock"));
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "request.*"));
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "*.tmp"));

        // One more, later: the finished answer is read (a hit), and nothing of any request stays behind.
        Assert.Equal(expected, await BareCloneAsync(site, "late.git", protocol));
        Assert.Equal("hit", site.Served()[key].Last());
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "request.*"));
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "report.*"));
        Assert.Empty(site.Server.FiveHundreds);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    public async Task A_push_changes_the_key_so_the_next_clone_gets_the_new_commit_and_not_the_cached_answer(string protocol)
    {
        await using var site = await StartAsync();
        await BareCloneAsync(site, "first.git", protocol);
        var keys = site.Served().Keys.ToHashSet();

        await site.Git.CommitFileAsync("game", "notes.txt", "after the first clone\n", "Add notes");
        Assert.True((await site.Git.PushAsync(site.Work, site.Url, "fleet", site.Token, "HEAD:main")).Succeeded);
        var head = await BareCloneAsync(site, "second.git", protocol);

        Assert.Equal((await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim(), head);
        var (_, served) = Assert.Single(site.Served(), entry => !keys.Contains(entry.Key));
        Assert.Equal(["miss"], served);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    public async Task An_answer_past_its_time_is_generated_again_and_a_crashed_writer_does_not_break_a_clone(string protocol)
    {
        await using var site = await StartAsync(new Dictionary<string, string> { ["Git:PackCacheSeconds"] = "3" });
        await Task.WhenAll(BareCloneAsync(site, "first.git", protocol), BareCloneAsync(site, "second.git", protocol));
        var key = site.Served().Single(entry => entry.Value.Length == 2).Key;
        Assert.Equal("miss", site.Served()[key][0]);

        Assert.Contains(site.Served()[key][1], Shared);

        // Past its time the pack is made again, and its record starts afresh.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await BareCloneAsync(site, "third.git", protocol);
        Assert.Equal(["miss"], site.Served()[key]);

        if (protocol == "2")
        {
            // A crash mid-answer leaves a temporary file, which is no answer: the next clone writes its own.
            File.Delete(Path.Combine(site.Cache, key + ".response"));
            await File.WriteAllBytesAsync(Path.Combine(site.Cache, $"{key}.response.1.crashed.tmp"), [0x30, 0x30, 0x30]);
            Assert.Equal((await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim(), await BareCloneAsync(site, "fourth.git", protocol));
            Assert.Equal("miss", site.Served()[key][^1]);
            return;
        }

        // A writer killed mid-pack (a crash) leaves its lock and half a pack; its process is gone.
        File.Delete(Path.Combine(site.Cache, key + ".pack"));
        var lockFolder = Directory.CreateDirectory(Path.Combine(site.Cache, key + ".lock")).FullName;
        using (var gone = System.Diagnostics.Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            await File.WriteAllTextAsync(Path.Combine(lockFolder, "writer"), gone.Id + "\n");
        }
        await File.WriteAllBytesAsync(Path.Combine(lockFolder, "pack"), [0x50, 0x41, 0x43, 0x4b]);
        var head = await BareCloneAsync(site, "fourth.git", protocol);
        Assert.Equal((await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim(), head);
        Assert.Equal("miss", site.Served()[key][^1]);
        Assert.False(Directory.Exists(lockFolder));
    }

    [Fact]
    public async Task With_the_cache_off_clones_work_and_nothing_is_cached()
    {
        await using var site = await StartAsync(new Dictionary<string, string> { ["Git:PackCacheSeconds"] = "0" });
        await BareCloneAsync(site, "plain.git");
        await BareCloneAsync(site, "plain-v0.git", "0");
        Assert.False(Directory.Exists(site.Cache) && Directory.EnumerateFiles(site.Cache).Any(f => f.EndsWith(".pack", StringComparison.Ordinal) || f.EndsWith(".response", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Another_repository_with_the_same_content_gets_an_answer_of_its_own()
    {
        await using var site = await StartAsync();
        await site.Web.CreateRepositoryAsync("copy", isPrivate: true);
        var copy = site.Server.Url("/fleet/copy.git");
        Assert.True((await site.Git.PushAsync(site.Work, copy, "fleet", site.Token, "HEAD:main")).Succeeded);
        await BareCloneAsync(site, "game.git");
        var keys = site.Served().Keys.ToHashSet();

        // The same refs and the same request, but another repository: a miss, never the first one's answer.
        var head = await BareCloneAsync(site, "copy.git", url: copy);

        Assert.Equal((await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim(), head);
        var (key, served) = Assert.Single(site.Served(), entry => !keys.Contains(entry.Key));
        Assert.Equal(["miss"], served);
        Assert.True(File.Exists(Path.Combine(site.Cache, key + ".response")));
    }

    [Fact]
    public async Task A_writer_whose_client_hangs_up_still_finishes_the_answer_for_those_who_follow()
    {
        await using var site = await StartAsync();
        var head = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim();
        var keys = site.Served().Keys.ToHashSet();
        using var http = Http(site);

        using (var first = await http.SendAsync(FetchRequest(site, head), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, first.StatusCode);
            await using var body = await first.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[16]) > 0);
        }
        var heads = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => BareCloneAsync(site, $"after-{i}.git")));

        Assert.All(heads, h => Assert.Equal(head, h));
        var (key, served) = Assert.Single(site.Served(), entry => !keys.Contains(entry.Key) && entry.Value[0] == "miss" && entry.Value.Length > 1);
        Assert.All(served.Skip(1), s => Assert.Contains(s, Shared));
        Assert.True(File.Exists(Path.Combine(site.Cache, key + ".response")));
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "*.tmp"));
        Assert.Empty(site.Server.FiveHundreds);
    }

    [Fact]
    public async Task A_failed_answer_cuts_the_writer_and_its_followers_and_is_not_kept()
    {
        await using var site = await StartAsync();
        var head = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim();
        // One blob, pushed loose, corrupted at its end: git finds it when it reads the whole object, mid-pack.
        var blob = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD:assets/level-2.bin")).Output.Trim();
        var loose = Assert.Single(Directory.EnumerateFiles(site.Server.DataDirectory, blob[2..], SearchOption.AllDirectories));
        File.SetUnixFileMode(loose, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var file = new FileStream(loose, FileMode.Open, FileAccess.Write))
        {
            file.Seek(-4096, SeekOrigin.End);
            file.Write(new byte[4096]);
        }
        var kept = Directory.EnumerateFiles(site.Cache, "*.response").ToHashSet();
        using var http = Http(site);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            // Cut before the headers (git failed before anything was sent) or in the body: either way no answer that looks whole.
            try
            {
                using var response = await http.SendAsync(FetchRequest(site, head), HttpCompletionOption.ResponseHeadersRead);
                await response.Content.ReadAsByteArrayAsync();
                return "whole";
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return "cut";
            }
        }));

        Assert.All(outcomes, o => Assert.Equal("cut", o));
        Assert.Equal(kept, Directory.EnumerateFiles(site.Cache, "*.response").ToHashSet());
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "*.tmp"));
        Assert.Empty(site.Server.FiveHundreds);
    }

    [Fact]
    public async Task A_cache_folder_that_cannot_be_written_costs_the_cache_and_not_the_clone()
    {
        await using var site = await StartAsync();
        var head = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim();
        // A file where the folder should be: every attempt to write an answer fails, as on a full or broken disk.
        Directory.Delete(site.Cache, recursive: true);
        await File.WriteAllTextAsync(site.Cache, "not a folder");

        var heads = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => BareCloneAsync(site, $"unwritable-{i}.git")));

        Assert.All(heads, h => Assert.Equal(head, h));
        Assert.Equal("not a folder", await File.ReadAllTextAsync(site.Cache));
        Assert.Empty(site.Server.FiveHundreds);
        Assert.Contains("The fetch cache could not be used", site.Server.AllLogs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fetch_body_that_is_not_gzip_is_refused_with_400()
    {
        await using var site = await StartAsync();
        using var http = Http(site);
        var request = FetchRequest(site, new string('0', 40));
        request.Content = new ByteArrayContent("not gzip at all"u8.ToArray());
        request.Content.Headers.ContentType = new("application/x-git-upload-pack-request");
        request.Content.Headers.ContentEncoding.Add("gzip");

        using var response = await http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
        Assert.Contains("could not be read", body, StringComparison.Ordinal);
    }

    private static HttpClient Http(Site site)
    {
        var http = new HttpClient { BaseAddress = site.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("fleet:" + site.Token)));
        return http;
    }

    /// <summary>What <c>git clone</c> sends over protocol v2: one want, and done (nothing to negotiate).</summary>
    private static HttpRequestMessage FetchRequest(Site site, string want)
    {
        static string Line(string text) => $"{text.Length + 4:x4}{text}";
        var body = Line("command=fetch\n") + Line("object-format=sha1\n") + "0001" + Line("ofs-delta\n") + Line("no-progress\n") + Line($"want {want}\n") + Line("done\n") + "0000";
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(site.Url + "/git-upload-pack"))
        {
            Content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new("application/x-git-upload-pack-request");
        request.Headers.Add("Git-Protocol", "version=2");
        return request;
    }
}
