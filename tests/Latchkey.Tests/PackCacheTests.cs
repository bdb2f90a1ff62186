using System.Security.Cryptography;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// Identical clones at once get one pack, generated once and streamed to all of them; never across
/// a ref change, never after the pack's time is up, and a writer that died leaves nothing that breaks
/// the next clone. Each served request is written down in the cache as miss, follow or hit.
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

    private static async Task<string> BareCloneAsync(Site site, string into)
    {
        var clone = await site.Git.RunAsync(null, "fleet", site.Token, "clone", "--bare", "--quiet", site.Url, into);
        Assert.True(clone.Succeeded, clone.ToString());
        var path = Path.Combine(site.Git.WorkDirectory, into);
        var fsck = await site.Git.RunAsync(null, null, null, "--git-dir", path, "fsck", "--strict", "--no-progress");
        Assert.True(fsck.Succeeded, fsck.ToString());
        return (await site.Git.RunAsync(null, null, null, "--git-dir", path, "rev-parse", "main")).Output.Trim();
    }

    [Fact]
    public async Task Six_identical_clones_at_once_share_one_pack_generated_once()
    {
        await using var site = await StartAsync();
        var before = site.Served().Keys.ToHashSet();

        var heads = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => BareCloneAsync(site, $"fleet-{i}.git")));

        var expected = (await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim();
        Assert.All(heads, head => Assert.Equal(expected, head));
        var (key, served) = Assert.Single(site.Served(), entry => !before.Contains(entry.Key));
        Assert.Equal(6, served.Length);
        Assert.Equal(1, served.Count(s => s == "miss"));
        Assert.All(served.Where(s => s != "miss"), s => Assert.Contains(s, Shared));
        Assert.True(File.Exists(Path.Combine(site.Cache, key + ".pack")));
        Assert.Empty(Directory.EnumerateDirectories(site.Cache, "*.lock"));
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "request.*"));

        // One more, later: the finished pack is read (a hit), and nothing of any request stays behind.
        Assert.Equal(expected, await BareCloneAsync(site, "late.git"));
        Assert.Equal("hit", site.Served()[key].Last());
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "request.*"));
        Assert.Empty(Directory.EnumerateFiles(site.Cache, "report.*"));
        Assert.Empty(site.Server.FiveHundreds);
    }

    [Fact]
    public async Task A_push_changes_the_key_so_the_next_clone_gets_the_new_commit_and_not_the_cached_pack()
    {
        await using var site = await StartAsync();
        await BareCloneAsync(site, "first.git");
        var keys = site.Served().Keys.ToHashSet();

        await site.Git.CommitFileAsync("game", "notes.txt", "after the first clone\n", "Add notes");
        Assert.True((await site.Git.PushAsync(site.Work, site.Url, "fleet", site.Token, "HEAD:main")).Succeeded);
        var head = await BareCloneAsync(site, "second.git");

        Assert.Equal((await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim(), head);
        var (_, served) = Assert.Single(site.Served(), entry => !keys.Contains(entry.Key));
        Assert.Equal(["miss"], served);
    }

    [Fact]
    public async Task A_pack_past_its_time_is_generated_again_and_a_crashed_writers_lock_does_not_break_a_clone()
    {
        await using var site = await StartAsync(new Dictionary<string, string> { ["Git:PackCacheSeconds"] = "3" });
        await Task.WhenAll(BareCloneAsync(site, "first.git"), BareCloneAsync(site, "second.git"));
        var key = site.Served().Single(entry => entry.Value.Length == 2).Key;
        Assert.Equal("miss", site.Served()[key][0]);

        Assert.Contains(site.Served()[key][1], Shared);

        // Past its time the pack is made again, and its record starts afresh.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await BareCloneAsync(site, "third.git");
        Assert.Equal(["miss"], site.Served()[key]);

        // A writer killed mid-pack (a crash) leaves its lock and half a pack; its process is gone.
        File.Delete(Path.Combine(site.Cache, key + ".pack"));
        var lockFolder = Directory.CreateDirectory(Path.Combine(site.Cache, key + ".lock")).FullName;
        using (var gone = System.Diagnostics.Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            await File.WriteAllTextAsync(Path.Combine(lockFolder, "writer"), gone.Id + "\n");
        }
        await File.WriteAllBytesAsync(Path.Combine(lockFolder, "pack"), [0x50, 0x41, 0x43, 0x4b]);
        var head = await BareCloneAsync(site, "fourth.git");
        Assert.Equal((await site.Git.RunAsync(site.Work, null, null, "rev-parse", "HEAD")).Output.Trim(), head);
        Assert.Equal("miss", site.Served()[key][^1]);
        Assert.False(Directory.Exists(lockFolder));
    }

    [Fact]
    public async Task With_the_cache_off_clones_work_and_nothing_is_cached()
    {
        await using var site = await StartAsync(new Dictionary<string, string> { ["Git:PackCacheSeconds"] = "0" });
        await BareCloneAsync(site, "plain.git");
        Assert.False(Directory.Exists(site.Cache) && Directory.EnumerateFiles(site.Cache, "*.pack").Any());
    }
}
