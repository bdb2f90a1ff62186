using System.Diagnostics;

namespace Latchkey.Tests.Support;

/// <summary>What a command-line client printed and how it exited.</summary>
public sealed record ClientRun(int Exit, string Output, string Error)
{
    public string All => Output + Error;

    public override string ToString() => $"exit {Exit}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs a real client program (gh, hub, python3, git) as a user would, with its own environment and a deadline.</summary>
public static class ClientProcess
{
    /// <summary>Credentials a developer's shell may hold; a client test never inherits them.</summary>
    private static readonly string[] Inherited = ["GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GITHUB_HOST", "GIT_ASKPASS", "SSH_ASKPASS"];

    public static async Task<ClientRun> RunAsync(string program, IEnumerable<string> args, string? directory = null,
        IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = directory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var name in Inherited)
            info.Environment.Remove(name);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        using var process = Process.Start(info)!;
        if (stdin is not null)
            await process.StandardInput.WriteLineAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within 2 minutes:\n{await error}");
        }
        return new ClientRun(process.ExitCode, await output, await error);
    }
}
