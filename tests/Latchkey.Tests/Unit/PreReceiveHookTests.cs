using System.Diagnostics;
using Latchkey.Git;
using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>
/// The pre-receive hook run by hand, the way a git without receive-pack's quarantine (older than
/// 2.11) would run it: it must fall back to walking what the pushed refs reach, and still find and
/// place a token-shaped string. Pushes through the server (PushProtectionTests) cover the quarantine.
/// </summary>
public sealed class PreReceiveHookTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("latchkey-hook-");

    private async Task<string> GitAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["HOME"] = _root.FullName;
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Hook Test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "hook@example.test";
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
        return output.Trim();
    }

    [Fact]
    public async Task Without_a_quarantine_the_hook_walks_the_new_history_and_places_the_token()
    {
        var work = Path.Combine(_root.FullName, "work");
        var bare = Path.Combine(_root.FullName, "bare.git");
        await GitAsync(_root.FullName, "init", "--quiet", "--initial-branch=main", work);
        await File.WriteAllTextAsync(Path.Combine(work, "README.md"), "hello\n");
        await GitAsync(work, "add", "--all");
        await GitAsync(work, "commit", "--quiet", "-m", "First");
        await GitAsync(_root.FullName, "clone", "--quiet", "--bare", work, bare);
        var old = await GitAsync(work, "rev-parse", "HEAD");

        // The new commit reaches the bare repository's object store, but no ref of it points there:
        // to the hook it is a push in progress.
        var token = TokenFormat.Generate(TokenKind.Classic);
        Directory.CreateDirectory(Path.Combine(work, "ci"));
        await File.WriteAllTextAsync(Path.Combine(work, "ci", "deploy.env"), $"TOKEN={token}\n");
        await GitAsync(work, "add", "--all");
        await GitAsync(work, "commit", "--quiet", "-m", "Deploy settings");
        var pushed = await GitAsync(work, "rev-parse", "HEAD");
        await GitAsync(work, "push", "--quiet", bare, "HEAD:refs/heads/incoming");
        await GitAsync(bare, "update-ref", "-d", "refs/heads/incoming");

        PushProtection.InstallHook(bare);
        var session = Directory.CreateDirectory(Path.Combine(_root.FullName, "session")).FullName;
        var scan = Path.Combine(session, "scan");
        var verdict = Path.Combine(session, "verdict");
        var info = new ProcessStartInfo(Path.Combine(bare, "hooks", "pre-receive"))
        {
            WorkingDirectory = bare,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        info.Environment["GIT_DIR"] = bare;
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment.Remove("GIT_QUARANTINE_PATH");
        info.Environment.Remove("GIT_OBJECT_DIRECTORY");
        info.Environment["LATCHKEY_PUSH_SCAN"] = scan;
        info.Environment["LATCHKEY_PUSH_VERDICT"] = verdict;
        using var hook = Process.Start(info)!;
        await hook.StandardInput.WriteLineAsync($"{old} {pushed} refs/heads/main");
        hook.StandardInput.Close();
        var stderr = hook.StandardError.ReadToEndAsync();

        // The hook hands over what it found, then waits for the server's verdict.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!File.Exists(scan))
        {
            if (hook.HasExited)
                Assert.Fail("the hook exited without reporting a finding: " + await stderr);
            await Task.Delay(20, timeout.Token);
        }
        var finding = Assert.Single(await File.ReadAllLinesAsync(scan, timeout.Token));
        Assert.Equal($"{pushed}\tci/deploy.env\t{token}", finding);
        await File.WriteAllTextAsync(verdict, "deny\nrefused for the test\n", timeout.Token);
        await hook.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, hook.ExitCode);
        Assert.Contains("refused for the test", await stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
