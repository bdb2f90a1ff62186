using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// No push runs longer than Git:MaxPushMinutes: one still running then is cut and moves no ref. That
/// bound is what lets a node sharing the data directory treat an older quarantine as a crash's leftover.
/// </summary>
public sealed class PushDurationLimitTests
{
    private const string Password = "push duration passphrase";

    [Fact]
    public async Task A_push_still_running_after_git_max_push_minutes_is_cut_and_moves_no_ref()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Git:MaxPushMinutes"] = "30" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("erin", Password);
        await web.CreateRepositoryAsync("slow");
        var token = await web.CreateTokenAsync("push", ["repo"]);
        using var git = new GitClient();
        var work = await git.NewLocalRepositoryAsync("source");
        await File.WriteAllBytesAsync(Path.Combine(work, "data.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024 * 1024));
        await git.CommitFileAsync("source", "notes.txt", "slow upload\n", "Payload");
        var body = await PushBodyAsync(work);
        var bare = Assert.Single(Directory.EnumerateDirectories(Path.Combine(server.DataDirectory, "repositories"), "*.git", SearchOption.AllDirectories));

        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var content = new HeldBackContent(body, sent, release.Task);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-git-receive-pack-request");
        using var request = new HttpRequestMessage(HttpMethod.Post, "erin/slow.git/git-receive-pack") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("erin:" + token)));
        var push = http.SendAsync(request);
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // receive-pack is unpacking (its quarantine exists), so the push's clock is running.
        var watch = Stopwatch.StartNew();
        while (!Directory.EnumerateDirectories(Path.Combine(bare, "objects"), "tmp_objdir-incoming-*").Any())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "receive-pack never started unpacking");
            await Task.Delay(20);
        }

        server.Clock.Advance(TimeSpan.FromMinutes(31));
        // The rest of the body may follow now: receive-pack is gone, or never gets to use it.
        release.TrySetResult();
        string? answered = null;
        try
        {
            using var response = await push;
            answered = $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
        }
        catch (HttpRequestException)
        {
            // The connection was cut: what a client of a push that ran out of time sees.
        }

        Assert.True(answered is null, $"the push was answered after its time was up: {answered}");
        var branch = await git.RunAsync(null, null, null, "--git-dir", bare, "rev-parse", "--verify", "-q", "refs/heads/main");
        Assert.False(branch.Succeeded, "a cut push moved a ref: " + branch.Output);
        Assert.Contains("was cut after Git:MaxPushMinutes (30)", server.AllLogs, StringComparison.Ordinal);
    }

    /// <summary>A receive-pack request body: the command creating refs/heads/main, then the pack of its history.</summary>
    private static async Task<byte[]> PushBodyAsync(string work)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = work, RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "pack-objects", "--stdout", "--revs", "-q" })
            info.ArgumentList.Add(arg);
        using var head = Process.Start(new ProcessStartInfo("git", ["rev-parse", "HEAD"]) { WorkingDirectory = work, RedirectStandardOutput = true })!;
        var commit = (await head.StandardOutput.ReadToEndAsync()).Trim();
        await head.WaitForExitAsync();
        using var pack = Process.Start(info)!;
        await pack.StandardInput.WriteAsync(commit + "\n");
        pack.StandardInput.Close();
        using var body = new MemoryStream();
        var command = $"{new string('0', 40)} {commit} refs/heads/main\0report-status\n";
        body.Write(Encoding.ASCII.GetBytes($"{command.Length + 4:x4}{command}0000"));
        await pack.StandardOutput.BaseStream.CopyToAsync(body);
        await pack.WaitForExitAsync();
        Assert.Equal(0, pack.ExitCode);
        return body.ToArray();
    }
}
