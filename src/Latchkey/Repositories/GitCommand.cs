using System.Diagnostics;
using System.Text;

namespace Latchkey.Repositories;

public sealed record GitResult(int ExitCode, byte[] Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
    public string Text => Encoding.UTF8.GetString(Output);
}

/// <summary>A read that ran past its time limit (<c>Git:BrowseSeconds</c>); git was stopped.</summary>
public sealed class GitTimeoutException(TimeSpan limit)
    : Exception($"git took longer than {limit.TotalSeconds:0.#} seconds and was stopped.")
{
    public TimeSpan Limit { get; } = limit;
}

/// <summary>A read whose output grew past its size limit; git was stopped.</summary>
public sealed class GitOutputTooLargeException(long limit)
    : InvalidOperationException($"git output exceeded the allowed size ({limit} bytes).")
{
    public long Limit { get; } = limit;
}

/// <summary>Runs short git plumbing commands (not the transport, which streams) and captures output.</summary>
public static class GitCommand
{
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        // git starts from a clean environment: the server's own (which may hold keys and connection
        // strings) is none of its business.
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        info.Environment["HOME"] = workingDirectory;
        info.Environment["LANG"] = "C.UTF-8";
        // The server's git must never prompt or pick up a person's configuration.
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        // Every object a push brings is checked by git's fsck, .gitmodules rules included
        // (CVE-2018-11235, CVE-2018-17456), before any ref moves, as GitHub does.
        info.Environment["GIT_CONFIG_COUNT"] = "2";
        info.Environment["GIT_CONFIG_KEY_0"] = "receive.fsckObjects";
        info.Environment["GIT_CONFIG_VALUE_0"] = "true";
        info.Environment["GIT_CONFIG_KEY_1"] = "transfer.fsckObjects";
        info.Environment["GIT_CONFIG_VALUE_1"] = "true";
        return info;
    }

    /// <summary>Adds a configuration value on git's command line (GIT_CONFIG_COUNT/KEY/VALUE), after those already given.</summary>
    public static void AddConfig(ProcessStartInfo info, string key, string value)
    {
        var index = int.Parse(info.Environment["GIT_CONFIG_COUNT"] ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        info.Environment[$"GIT_CONFIG_KEY_{index}"] = key;
        info.Environment[$"GIT_CONFIG_VALUE_{index}"] = value;
        info.Environment["GIT_CONFIG_COUNT"] = (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>`git --version` ("git version 2.39.5"), or null when git cannot be run.</summary>
    public static async Task<string?> VersionAsync(CancellationToken ct)
    {
        try
        {
            var result = await RunAsync(Path.GetTempPath(), ["--version"], ct);
            return result.Succeeded ? result.Text.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// <see cref="RunAsync"/> bounded in time, for reads whose cost depends on history (log, blame,
    /// diff, compare): past <paramref name="limit"/> git is killed and <see cref="GitTimeoutException"/>
    /// thrown, so no request hangs on a slow git.
    /// </summary>
    public static async Task<GitResult> RunWithinAsync(
        string workingDirectory,
        IEnumerable<string> args,
        TimeSpan limit,
        CancellationToken ct,
        long maxOutputBytes = 64L * 1024 * 1024)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(limit);
        try
        {
            return await RunAsync(workingDirectory, args, bounded.Token, maxOutputBytes: maxOutputBytes);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new GitTimeoutException(limit);
        }
    }

    public static async Task<GitResult> RunAsync(
        string workingDirectory,
        IEnumerable<string> args,
        CancellationToken ct,
        byte[]? input = null,
        IDictionary<string, string>? environment = null,
        long maxOutputBytes = 64L * 1024 * 1024)
    {
        var info = StartInfo(workingDirectory, args);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("git could not be started.");
        try
        {
            var stdout = ReadLimitedAsync(process.StandardOutput.BaseStream, maxOutputBytes, ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            if (input is not null)
                await process.StandardInput.BaseStream.WriteAsync(input, ct);
            process.StandardInput.Close();
            var output = await stdout;
            var error = await stderr;
            await process.WaitForExitAsync(ct);
            return new GitResult(process.ExitCode, output, error);
        }
        catch
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream stream, long max, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
                throw new GitOutputTooLargeException(max);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
