using System.Diagnostics;
using System.Security.Cryptography;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Production;

/// <summary>
/// A push that fills the disk the repositories live on: the pusher is told, in git's words, that no
/// space was left; the branch stays where it was, nothing of the half-written push is kept, and once
/// there is room again the next push lands. The repositories folder is a small tmpfs (mounting needs
/// root, which CI runs as).
/// </summary>
public sealed class FullDiskTests
{
    private const string Password = "full disk passphrase";
    private const string MountProbe = "d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs \"$d\" && umount \"$d\"; rc=$?; rmdir \"$d\"; exit $rc";

    private static async Task RunAsync(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)}: {error}");
    }

    [ClientFact("a tmpfs mount (root)", MountProbe)]
    public async Task A_push_that_fills_the_disk_is_refused_with_git_saying_so_and_the_branch_and_the_repository_stay_intact()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-full-disk-").FullName;
        var repositories = Directory.CreateDirectory(Path.Combine(data, "repositories")).FullName;
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", repositories);
        try
        {
            await using var server = await LatchkeyServer.StartAsync(reuseDataDirectory: data);
            using var web = server.NewBrowserSession();
            await web.SignUpAsync("erin", Password);
            await web.CreateRepositoryAsync("assets", isPrivate: true, addReadme: true);
            var token = await web.CreateTokenAsync("push", ["repo"]);
            using var git = new GitClient();
            var url = server.Url("/erin/assets.git");
            Assert.True((await git.CloneAsync(url, "assets", "erin", token)).Succeeded);
            var clone = Path.Combine(git.WorkDirectory, "assets");
            var before = (await git.RunAsync(null, "erin", token, "ls-remote", url, "refs/heads/main")).Output[..40];

            // 40 MB that do not compress, on a 24 MB disk.
            Directory.CreateDirectory(Path.Combine(clone, "big"));
            for (var i = 0; i < 4; i++)
                await File.WriteAllBytesAsync(Path.Combine(clone, "big", $"part-{i}.bin"), RandomNumberGenerator.GetBytes(10 * 1024 * 1024));
            await git.CommitFileAsync("assets", "big/README", "large parts\n", "Add large parts");
            var push = await git.PushAsync(clone, url, "erin", token, "HEAD:main");

            Assert.False(push.Succeeded, push.ToString());
            Assert.Contains("No space left on device", push.Error, StringComparison.Ordinal);
            Assert.Equal(before, (await git.RunAsync(null, "erin", token, "ls-remote", url, "refs/heads/main")).Output[..40]);
            Assert.Empty(server.FiveHundreds);

            // receive-pack dropped what it had written: the disk has room again, and the repository is whole.
            var bare = Assert.Single(Directory.EnumerateDirectories(repositories, "*.git", SearchOption.AllDirectories));
            Assert.Empty(Directory.EnumerateDirectories(Path.Combine(bare, "objects"), "tmp_objdir-incoming-*"));
            var fsck = await git.RunAsync(null, null, null, "--git-dir", bare, "fsck", "--strict", "--no-progress");
            Assert.True(fsck.Succeeded, fsck.ToString());

            // A push that fits lands.
            Assert.True((await git.RunAsync(clone, null, null, "reset", "-q", "--hard", before)).Succeeded);
            await git.CommitFileAsync("assets", "small.txt", "this one fits\n", "Add a small file");
            var small = await git.PushAsync(clone, url, "erin", token, "HEAD:main");
            Assert.True(small.Succeeded, small.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            await RunAsync("umount", "-l", repositories);
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }
}
