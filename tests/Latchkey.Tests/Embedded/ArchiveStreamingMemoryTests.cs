using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Embedded;

/// <summary>
/// An archive streams: a tarball of 128 MB of incompressible files, downloaded as CI does (token,
/// the API's redirect, the archive), leaves the server's memory flat. The server runs as its own
/// process so that its peak resident memory (VmHWM, reset just before the download) is its own.
/// bench/archive.sh makes the same measurement with 1 GiB.
/// </summary>
public sealed class ArchiveStreamingMemoryTests
{
    private const string Password = "archive memory passphrase";
    private const int Files = 16;
    private const int FileBytes = 8 * 1024 * 1024;
    /// <summary>A buffered archive would add its whole size (128 MB); a streamed one a few pooled buffers.</summary>
    private const long GrowthBound = 32L * 1024 * 1024;

    [Fact]
    public async Task A_128_MB_tarball_streams_without_the_server_growing_by_more_than_32_MB()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-archive-memory-").FullName;
        try
        {
            await using var node = await ServerProcess.StartAsync(data, new Dictionary<string, string>());
            using var web = new WebSession(node.BaseAddress);
            await web.SignUpAsync("bulk", Password);
            await web.CreateRepositoryAsync("assets", isPrivate: true);
            var token = await web.CreateTokenAsync("ci", ["repo"]);

            using var git = new GitClient { Timeout = TimeSpan.FromMinutes(10) };
            var source = await git.NewLocalRepositoryAsync("source");
            var first = (await git.RunAsync(source, null, null, "rev-parse", "HEAD")).Output.Trim();
            for (var i = 0; i < Files; i++)
                await File.WriteAllBytesAsync(Path.Combine(source, $"part-{i:D2}.bin"), RandomNumberGenerator.GetBytes(FileBytes));
            Assert.True((await git.RunAsync(source, null, null, "add", "--all")).Succeeded);
            Assert.True((await git.RunAsync(source, null, null, "commit", "--quiet", "-m", "Add 128 MB of assets")).Succeeded);
            var push = await git.PushAsync(source, node.Url("/bulk/assets.git"), "bulk", token);
            Assert.True(push.Succeeded, push.ToString());

            using var curl = new HttpClient(WebSession.Handler(null, null)) { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            async Task<long> DownloadAsync(string gitRef)
            {
                using var api = new HttpRequestMessage(HttpMethod.Get, $"api/v3/repos/bulk/assets/tarball/{gitRef}");
                api.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var redirect = await curl.SendAsync(api);
                Assert.True(redirect.StatusCode == HttpStatusCode.Found, $"The API answered {redirect.StatusCode}: {await redirect.Content.ReadAsStringAsync()}");
                using var hop = new HttpRequestMessage(HttpMethod.Get, redirect.Headers.Location);
                hop.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var archive = await curl.SendAsync(hop, HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
                await using var body = await archive.Content.ReadAsStreamAsync();
                var counted = new CountingStream();
                await body.CopyToAsync(counted);
                return counted.Length;
            }

            // The first archive pays for what any first request pays (code, pools); it is not the measurement.
            await DownloadAsync(first);
            ResetPeak(node.Id);
            var before = StatusBytes(node.Id, "VmRSS");
            var length = await DownloadAsync("main");
            var growth = StatusBytes(node.Id, "VmHWM") - before;

            Assert.True(length > Files * (long)FileBytes, $"The tarball has {length} bytes, less than the files in it");
            Assert.True(growth < GrowthBound,
                $"The server's peak memory grew by {growth / 1048576.0:0.0} MB while streaming a {length / 1048576.0:0} MB tarball (RSS before: {before / 1048576.0:0} MB)");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Resets the process's peak resident memory (VmHWM) to its current RSS (Linux: clear_refs 5).</summary>
    private static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    private static long StatusBytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Discards what is written and counts it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
