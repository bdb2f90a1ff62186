using System.Diagnostics;

namespace Latchkey.Tests.Support;

public sealed record GitRun(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// The real git command line, with its own HOME and an askpass program that answers the
/// Username/Password prompts as a person would type them.
/// </summary>
public sealed class GitClient : IDisposable
{
    private readonly string _home;
    private readonly string _askPass;

    public GitClient()
    {
        _home = Directory.CreateTempSubdirectory("latchkey-git-").FullName;
        _askPass = Path.Combine(_home, "askpass.sh");
        File.WriteAllText(_askPass, "#!/bin/sh\ncase \"$1\" in\n  Username*) printf '%s\\n' \"$LK_USERNAME\" ;;\n  *) printf '%s\\n' \"$LK_PASSWORD\" ;;\nesac\n");
        File.SetUnixFileMode(_askPass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        WorkDirectory = Path.Combine(_home, "work");
        Directory.CreateDirectory(WorkDirectory);
    }

    public string WorkDirectory { get; }

    /// <summary>How long one git command may take (a slow shared machine, not a hang, for big pushes).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Variables every later git command gets (GIT_COMMITTER_DATE, to date commits).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Runs git in <paramref name="directory"/> (default: the work directory); null credentials = answer no prompt.</summary>
    public async Task<GitRun> RunAsync(string? directory, string? username, string? password, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory ?? WorkDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("credential.helper=");
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["HOME"] = _home;
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_AUTHOR_NAME"] = "Test Person";
        info.Environment["GIT_AUTHOR_EMAIL"] = "person@example.test";
        info.Environment["GIT_COMMITTER_NAME"] = "Test Person";
        info.Environment["GIT_COMMITTER_EMAIL"] = "person@example.test";
        foreach (var (key, value) in Environment)
            info.Environment[key] = value;
        if (username is not null || password is not null)
        {
            info.Environment["GIT_ASKPASS"] = _askPass;
            info.Environment["LK_USERNAME"] = username ?? "";
            info.Environment["LK_PASSWORD"] = password ?? "";
        }
        else
        {
            info.Environment.Remove("GIT_ASKPASS");
            info.Environment.Remove("SSH_ASKPASS");
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"git {string.Join(' ', args)} did not finish within {Timeout}:\n{await stderr}");
        }
        return new GitRun(process.ExitCode, await stdout, await stderr);
    }

    public Task<GitRun> CloneAsync(string url, string into, string? username = null, string? password = null) =>
        RunAsync(null, username, password, "clone", url, into);

    /// <summary>Writes a file, commits it and returns the directory of the clone.</summary>
    public async Task CommitFileAsync(string clone, string file, string content, string message)
    {
        var path = Path.Combine(WorkDirectory, clone, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, content);
        var add = await RunAsync(Path.Combine(WorkDirectory, clone), null, null, "add", "--all");
        Assert.True(add.Succeeded, add.ToString());
        var commit = await RunAsync(Path.Combine(WorkDirectory, clone), null, null, "commit", "-m", message);
        Assert.True(commit.Succeeded, commit.ToString());
    }

    /// <summary>A fresh local repository with one commit on main, ready to push somewhere.</summary>
    public async Task<string> NewLocalRepositoryAsync(string name)
    {
        var init = await RunAsync(null, null, null, "init", "--quiet", "--initial-branch=main", name);
        Assert.True(init.Succeeded, init.ToString());
        await CommitFileAsync(name, "hello.txt", "hello from " + name + "\n", "Add hello.txt");
        return Path.Combine(WorkDirectory, name);
    }

    public Task<GitRun> PushAsync(string directory, string url, string? username, string? password, string refspec = "main") =>
        RunAsync(directory, username, password, "push", url, refspec);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
