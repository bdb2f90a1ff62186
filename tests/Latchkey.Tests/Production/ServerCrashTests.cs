using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Production;

/// <summary>
/// A server killed outright (kill -9) in the middle of git traffic: nothing it started keeps running
/// (the git processes and the push-protection hook notice within about a second), and when it starts
/// again on the same data directory it removes what the dead push left (the quarantine with the pushed
/// objects, push protection's work folder with candidate tokens). The repository is as before the push.
/// </summary>
public sealed class ServerCrashTests
{
    private const string Password = "server crash passphrase";
    private const string User = "dana";
    // The server's children notice its death within a fraction of a second; the rest is a loaded machine's scheduling.
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    private sealed class Site : IAsyncDisposable
    {
        public required string Data { get; init; }
        public required Dictionary<string, string> Settings { get; init; }
        public required ServerProcess Node { get; set; }
        /// <summary>The token the tests push with.</summary>
        public required string Token { get; init; }

        /// <summary>Another live token of the same account, for pushes to leak.</summary>
        public required string Leaked { get; init; }
        public required GitClient Git { get; init; }
        public string Url => Node.Url($"/{User}/big.git");
        public string Clone => Path.Combine(Git.WorkDirectory, "big");
        public string Bare => Assert.Single(Directory.EnumerateDirectories(Path.Combine(Data, "repositories"), "*.git", SearchOption.AllDirectories));
        public string PushProtection => Path.Combine(Data, "push-protection");

        public async Task RestartAsync()
        {
            await Node.DisposeAsync();
            Node = await ServerProcess.StartAsync(Data, Settings);
        }

        public async ValueTask DisposeAsync()
        {
            await Node.DisposeAsync();
            Git.Dispose();
            await TestDatabase.DropAsync(Data);
            Directory.Delete(Data, recursive: true);
        }
    }

    /// <summary>A node with a private repository "big" (a README on main), cloned.</summary>
    private static async Task<Site> StartAsync()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-crash-").FullName;
        var settings = await TestDatabase.SettingsForAsync(data);
        var node = await ServerProcess.StartAsync(data, settings);
        using var web = new WebSession(node.BaseAddress);
        await web.SignUpAsync(User, Password);
        await web.CreateRepositoryAsync("big", isPrivate: true, addReadme: true);
        var site = new Site
        {
            Data = data,
            Settings = settings,
            Node = node,
            Token = await web.CreateTokenAsync("push", ["repo"]),
            Leaked = await web.CreateTokenAsync("deploy", ["repo"]),
            Git = new GitClient(),
        };
        var clone = await site.Git.CloneAsync(site.Url, "big", User, site.Token);
        Assert.True(clone.Succeeded, clone.ToString());
        return site;
    }

    /// <summary>Files of random bytes (git cannot compress them), committed in the clone.</summary>
    private static async Task CommitRandomFilesAsync(Site site, int files, int megabytes)
    {
        var assets = Path.Combine(site.Clone, "assets");
        Directory.CreateDirectory(assets);
        for (var i = 0; i < files; i++)
            await File.WriteAllBytesAsync(Path.Combine(assets, $"blob-{i}.bin"), RandomNumberGenerator.GetBytes(megabytes * 1024 * 1024));
        await site.Git.CommitFileAsync("big", "assets/README", "generated\n", "Add assets");
    }

    /// <summary>Text that push protection reads whole: files under Git:PushScanMaxBytes of base64 lines, no NUL.</summary>
    private static async Task CommitRandomTextAsync(Site site, int files, int kilobytes)
    {
        var docs = Path.Combine(site.Clone, "docs");
        Directory.CreateDirectory(docs);
        for (var i = 0; i < files; i++)
            await File.WriteAllTextAsync(Path.Combine(docs, $"page-{i}.txt"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(kilobytes * 768), Base64FormattingOptions.InsertLineBreaks));
        await site.Git.CommitFileAsync("big", "docs/README", "generated\n", "Add docs");
    }

    private static async Task<string> BranchAsync(Site site)
    {
        var head = await site.Git.RunAsync(null, null, null, "--git-dir", site.Bare, "rev-parse", "--verify", "refs/heads/main");
        Assert.True(head.Succeeded, head.ToString());
        return head.Output.Trim();
    }

    private static List<string> Quarantines(Site site) =>
        [.. Directory.EnumerateDirectories(Path.Combine(site.Bare, "objects"), "tmp_objdir-incoming-*").Select(d => Path.GetFileName(d))];

    /// <summary>
    /// Every running process that belongs to the data directory: started there (the repository is
    /// git's working directory), or naming it on its command line or in its environment (the hook's
    /// work files). Zombies, already dead, do not count.
    /// </summary>
    private static List<string> ProcessesOf(string dataDirectory)
    {
        var inside = dataDirectory.TrimEnd('/') + "/";
        var found = new List<string>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..] is ['Z' or 'X', ..])
                    continue;
                var commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ').Trim();
                var directory = new FileInfo(Path.Combine(entry, "cwd")).LinkTarget ?? "";
                var environment = File.ReadAllText(Path.Combine(entry, "environ"));
                if (commandLine.Contains(inside, StringComparison.Ordinal) || (directory + "/").StartsWith(inside, StringComparison.Ordinal)
                    || environment.Contains(inside, StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {commandLine} (in {directory})");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }
        return found;
    }

    private static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
                Assert.Fail(failure());
            await Task.Delay(2);
        }
    }

    /// <summary>Kills the node and asserts that within <see cref="Grace"/> nothing of its data directory runs any more.</summary>
    private static async Task KillAndExpectNothingLeftRunningAsync(Site site)
    {
        var before = ProcessesOf(site.Data);
        await site.Node.KillAsync();
        var watch = Stopwatch.StartNew();
        var left = ProcessesOf(site.Data);
        while (left.Count > 0 && watch.Elapsed < Grace)
        {
            await Task.Delay(50);
            left = ProcessesOf(site.Data);
        }
        Assert.True(left.Count == 0,
            $"{Grace.TotalSeconds} s after the server was killed these still ran:\n{string.Join('\n', left)}\n(running at the kill:\n{string.Join('\n', before)})");
    }

    /// <summary>
    /// On a data directory shared by several nodes (the PostgreSQL pass) only leftovers older than the
    /// longest allowed push are removed, so those of the test are made that old; a fresh quarantine
    /// (perhaps another node's running push) must stay there, and must go on the embedded database.
    /// </summary>
    private static string PrepareLeftoversForRestart(Site site)
    {
        if (TestDatabase.IsPostgres)
        {
            var old = DateTime.UtcNow - TimeSpan.FromHours(3);
            foreach (var quarantine in Directory.EnumerateDirectories(Path.Combine(site.Bare, "objects"), "tmp_objdir-incoming-*"))
                Directory.SetLastWriteTimeUtc(quarantine, old);
            foreach (var folder in Directory.EnumerateDirectories(site.PushProtection))
                Directory.SetLastWriteTimeUtc(folder, old);
        }
        var fresh = Path.Combine(site.Bare, "objects", "tmp_objdir-incoming-fresh");
        Directory.CreateDirectory(Path.Combine(fresh, "pack"));
        File.WriteAllText(Path.Combine(fresh, "pack", "tmp_pack_fresh"), "in progress");
        return Path.GetFileName(fresh);
    }

    private static async Task AssertSweptAndIntactAsync(Site site, string fresh, string branchBefore)
    {
        var quarantines = Quarantines(site);
        if (TestDatabase.IsPostgres)
            Assert.Equal([fresh], quarantines);
        else
            Assert.Empty(quarantines);
        Assert.Empty(Directory.EnumerateFileSystemEntries(site.PushProtection));
        Assert.Contains("Start-up sweep", site.Node.Output, StringComparison.Ordinal);

        var fsck = await site.Git.RunAsync(null, null, null, "--git-dir", site.Bare, "fsck", "--strict", "--no-progress");
        Assert.True(fsck.Succeeded, fsck.ToString());
        Assert.Equal(branchBefore, await BranchAsync(site));
        // And the repository still takes a push (of new work on what the server has).
        Assert.True((await site.Git.RunAsync(site.Clone, null, null, "checkout", "-q", "-b", "after-the-crash", branchBefore)).Succeeded);
        await site.Git.CommitFileAsync("big", "after.txt", "after the crash\n", "Work after the crash");
        var push = await site.Git.PushAsync(site.Clone, site.Url, User, site.Token, "HEAD:refs/heads/after-the-crash");
        Assert.True(push.Succeeded, push.ToString());
    }

    [Fact]
    public async Task A_server_killed_while_push_protection_checks_a_large_push_leaves_nothing_running_and_its_restart_sweeps_the_rest()
    {
        await using var site = await StartAsync();
        var before = await BranchAsync(site);
        // Tens of megabytes of text (which push protection reads, unlike binaries or files over 1 MiB), and
        // a live token, so that the hook reads for a while and then has a candidate to hand over and a
        // verdict to wait for.
        await CommitRandomTextAsync(site, files: 60, kilobytes: 900);
        await site.Git.CommitFileAsync("big", "deploy.env", $"TOKEN={site.Leaked}\n", "Deploy settings");

        var push = site.Git.PushAsync(site.Clone, site.Url, User, site.Token, "HEAD:main");
        // The hook's first act is to open its findings file in the push's work folder (kept until it
        // ends): cheap to watch closely, so the kill lands while the hook runs even on a fast machine.
        await UntilAsync(() => Directory.EnumerateFiles(site.PushProtection, "*", SearchOption.AllDirectories).Any(), TimeSpan.FromSeconds(90),
            () => "the pre-receive hook never ran: " + (push.IsCompleted ? push.Result.ToString() : "the push is still running"));
        await KillAndExpectNothingLeftRunningAsync(site);

        var pushed = await push;
        Assert.False(pushed.Succeeded, pushed.ToString());
        // The hook took the candidate tokens it had written with it; its folder was the server's user's only.
        var leftover = Directory.EnumerateFiles(site.PushProtection, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.True(leftover.Count == 0, "the push's work folder still holds: " + string.Join(", ", leftover));
        var folder = Assert.Single(Directory.EnumerateDirectories(site.PushProtection));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));

        var fresh = PrepareLeftoversForRestart(site);
        await site.RestartAsync();
        await AssertSweptAndIntactAsync(site, fresh, before);
        foreach (var file in Directory.EnumerateFiles(site.Data, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(site.Leaked, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_killed_during_a_burst_of_token_creations_keeps_every_token_it_handed_out_and_no_half_made_one()
    {
        await using var site = await StartAsync();
        // Eight people at once, each generating tokens as fast as the form allows, until the server dies.
        var handedOut = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var kill = new CancellationTokenSource();
        var sessions = new List<WebSession>();
        for (var i = 0; i < 8; i++)
        {
            var web = new WebSession(site.Node.BaseAddress);
            await web.SignInAsync(User, Password);
            sessions.Add(web);
        }
        var burst = sessions.Select((web, i) => Task.Run(async () =>
        {
            for (var n = 0; !kill.IsCancellationRequested; n++)
            {
                try
                {
                    handedOut.Add(await web.CreateTokenAsync($"burst {i}-{n}", ["repo"]));
                }
                catch (Exception e) when (e is HttpRequestException or Xunit.Sdk.XunitException or TaskCanceledException)
                {
                    // The server is gone (or going): what it answered before stands.
                    return;
                }
            }
        })).ToList();
        await UntilAsync(() => handedOut.Count >= 12, TimeSpan.FromSeconds(90), () => $"only {handedOut.Count} tokens were created");
        await site.Node.KillAsync();
        kill.Cancel();
        await Task.WhenAll(burst);
        foreach (var web in sessions)
            web.Dispose();

        await site.RestartAsync();
        // Every token whose secret was shown works; every token the list shows is whole (its page renders,
        // its note and scopes are there). The two tokens made before the burst are among them.
        using var api = new HttpClient { BaseAddress = site.Node.BaseAddress };
        api.DefaultRequestHeaders.UserAgent.ParseAdd("crash-test");
        foreach (var token in handedOut.Append(site.Token))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await api.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("repo", string.Join(",", response.Headers.GetValues("X-OAuth-Scopes")));
        }
        using var owner = new WebSession(site.Node.BaseAddress);
        await owner.SignInAsync(User, Password);
        var (status, list) = await owner.GetAsync("/settings/tokens");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        var listed = System.Text.RegularExpressions.Regex.Matches(list, @"burst \d+-\d+").Select(m => m.Value).ToHashSet();
        Assert.True(listed.Count >= handedOut.Count, $"{handedOut.Count} tokens were handed out but the list shows {listed.Count}");
        if (!TestDatabase.IsPostgres)
        {
            using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(site.Data, "latchkey.db")};Mode=ReadOnly;Pooling=False");
            await db.OpenAsync();
            using var check = db.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", (string?)await check.ExecuteScalarAsync());
        }
    }

    /// <summary>A receive-pack request body updating main from <paramref name="old"/> to the clone's HEAD, with its pack.</summary>
    private static async Task<byte[]> PushBodyAsync(Site site, string old)
    {
        var head = (await site.Git.RunAsync(site.Clone, null, null, "rev-parse", "HEAD")).Output.Trim();
        var info = new ProcessStartInfo("git") { WorkingDirectory = site.Clone, RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "pack-objects", "--stdout", "--revs", "-q" })
            info.ArgumentList.Add(arg);
        using var pack = Process.Start(info)!;
        await pack.StandardInput.WriteAsync($"{head}\n^{old}\n");
        pack.StandardInput.Close();
        using var body = new MemoryStream();
        var command = $"{old} {head} refs/heads/main\0report-status\n";
        body.Write(Encoding.ASCII.GetBytes($"{command.Length + 4:x4}{command}0000"));
        await pack.StandardOutput.BaseStream.CopyToAsync(body);
        await pack.WaitForExitAsync();
        Assert.Equal(0, pack.ExitCode);
        return body.ToArray();
    }

    private static HttpRequestMessage GitRequest(Site site, string service, HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue($"application/x-{service}-request");
        var request = new HttpRequestMessage(HttpMethod.Post, $"{User}/big.git/{service}") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{site.Token}")));
        return request;
    }

    [Fact]
    public async Task A_server_killed_while_a_pack_arrives_leaves_nothing_running_and_its_restart_removes_the_quarantine()
    {
        await using var site = await StartAsync();
        var before = await BranchAsync(site);
        await CommitRandomFilesAsync(site, files: 2, megabytes: 4);
        var body = await PushBodyAsync(site, before);

        // Half the pack is in: receive-pack has its quarantine and git unpack-objects waits for the rest.
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient { BaseAddress = site.Node.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        using var request = GitRequest(site, "git-receive-pack", new HeldBackContent(body, sent, release.Task));
        var push = http.SendAsync(request);
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await UntilAsync(() => Quarantines(site).Count > 0 && ProcessesOf(site.Data).Any(p => p.Contains("unpack-objects", StringComparison.Ordinal) || p.Contains("index-pack", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => $"no quarantine and unpacking git: {string.Join(", ", Quarantines(site))}\n{string.Join('\n', ProcessesOf(site.Data))}");

        await KillAndExpectNothingLeftRunningAsync(site);
        release.SetResult();
        string? answered = null;
        try
        {
            using var response = await push;
            answered = $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
        }
        catch (HttpRequestException)
        {
            // The connection died with the server.
        }
        Assert.True(answered is null, $"a push to a dead server was answered: {answered}");

        var fresh = PrepareLeftoversForRestart(site);
        await site.RestartAsync();
        await AssertSweptAndIntactAsync(site, fresh, before);
    }

    [Fact]
    public async Task A_server_killed_while_it_serves_a_large_fetch_leaves_no_upload_pack_running()
    {
        await using var site = await StartAsync();
        // Put tens of megabytes on the server (straight into the bare repository: how they got there is not the point).
        await CommitRandomFilesAsync(site, files: 6, megabytes: 5);
        var local = await site.Git.PushAsync(site.Clone, site.Bare, null, null, "HEAD:main");
        Assert.True(local.Succeeded, local.ToString());
        var head = await BranchAsync(site);

        // A fetch whose answer the client reads only the start of: git upload-pack is still writing the
        // pack. The client's receive buffer is kept small, or loopback's (up to 32 MiB here) takes it all.
        var want = $"want {head}\n";
        var body = Encoding.ASCII.GetBytes($"{want.Length + 4:x4}{want}00000009done\n");
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 64 * 1024 };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = site.Node.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        using var request = GitRequest(site, "git-upload-pack", new ByteArrayContent(body));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
            Assert.Fail($"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        var start = new byte[64 * 1024];
        await stream.ReadAtLeastAsync(start, start.Length);
        var serving = ProcessesOf(site.Data);
        Assert.True(serving.Any(p => p.Contains("upload-pack", StringComparison.Ordinal)), "upload-pack is not running any more:\n" + string.Join('\n', serving));

        await KillAndExpectNothingLeftRunningAsync(site);
    }
}
