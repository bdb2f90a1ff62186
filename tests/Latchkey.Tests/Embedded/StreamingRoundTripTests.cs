using System.Security.Cryptography;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Embedded;

/// <summary>
/// Packs stream through the server in both directions: a 200 MB push of incompressible files (git
/// sends it chunked, larger than any buffer the server could hold for it) and a clone of it come back
/// byte for byte. It runs once, on the embedded default: the database plays no part in the transfer.
/// </summary>
public sealed class StreamingRoundTripTests
{
    private const string Password = "streaming round trip passphrase";
    private const int Files = 25;
    private const int FileBytes = 8 * 1024 * 1024;

    [Fact]
    public async Task A_200_MB_push_and_its_clone_round_trip_byte_exact()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("bulk", Password);
        await web.CreateRepositoryAsync("assets", isPrivate: true);
        var token = await web.CreateTokenAsync("bulk upload", ["repo"]);

        // 200 MB each way on a shared 2-core machine that runs the other suites meanwhile: minutes, not a hang.
        using var git = new GitClient { Timeout = TimeSpan.FromMinutes(10) };
        var source = await git.NewLocalRepositoryAsync("source");
        // Seeded, so a failure can be reproduced; random bytes, so no compression shrinks the transfer.
        var random = new Random(20261124);
        var expected = new Dictionary<string, string>();
        var buffer = new byte[FileBytes];
        for (var i = 0; i < Files; i++)
        {
            random.NextBytes(buffer);
            var name = $"blobs/part-{i:D2}.bin";
            var path = Path.Combine(source, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, buffer);
            expected[name] = Convert.ToHexString(SHA256.HashData(buffer));
        }
        Assert.True((await git.RunAsync(source, null, null, "add", "--all")).Succeeded);
        var commit = await git.RunAsync(source, null, null, "commit", "--quiet", "-m", "Add 200 MB of assets");
        Assert.True(commit.Succeeded, commit.ToString());
        var head = (await git.RunAsync(source, null, null, "rev-parse", "HEAD")).Output.Trim();

        var url = server.Url("/bulk/assets.git");
        var push = await git.PushAsync(source, url, "bulk", token);
        Assert.True(push.Succeeded, push.ToString());

        var clone = await git.CloneAsync(url, "copy", "bulk", token);
        Assert.True(clone.Succeeded, clone.ToString());
        var copy = Path.Combine(git.WorkDirectory, "copy");
        Assert.Equal(head, (await git.RunAsync(copy, null, null, "rev-parse", "HEAD")).Output.Trim());
        var fsck = await git.RunAsync(copy, null, null, "fsck", "--full", "--strict");
        Assert.True(fsck.Succeeded, fsck.ToString());

        var received = Directory.GetFiles(Path.Combine(copy, "blobs")).Order().ToList();
        Assert.Equal(Files, received.Count);
        long total = 0;
        foreach (var path in received)
        {
            var name = "blobs/" + Path.GetFileName(path);
            await using var stream = File.OpenRead(path);
            total += stream.Length;
            Assert.Equal(expected[name], Convert.ToHexString(await SHA256.HashDataAsync(stream)));
        }
        Assert.Equal((long)Files * FileBytes, total);
    }
}
