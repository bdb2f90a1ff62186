using System.Diagnostics;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Production;

/// <summary>
/// An operator who mistypes a setting hears of it at once: the server does not start, exits with a
/// failing status, and says in one line which setting is wrong (before, a negative limit started and
/// served, and a malformed duration started and answered 500 later).
/// </summary>
public sealed class InvalidSettingsTests
{
    [Theory]
    [InlineData("Security:FailureLimit", "-1")]
    [InlineData("Sessions:SudoDuration", "notatime")]
    [InlineData("Database:Provider", "Oracle")]
    [InlineData("Api:UserLimit", "0")]
    [InlineData("Sessions:IdleTimeout", "-00:10:00")]
    [InlineData("Git:MaxPushBytes", "-5")]
    [InlineData("Git:MaxPushMinutes", "0")]
    [InlineData("Git:MaintenanceAfterPushes", "0")]
    [InlineData("Git:MaintenanceIdleSeconds", "-1")]
    [InlineData("Git:Maintenance", "sometimes")]
    [InlineData("Tokens:MaxLifetimeDays", "400")]
    [InlineData("Reminders:Interval", "-00:01:00")]
    [InlineData("Tracing:OtlpEndpoint", "collector:4318")]
    public async Task A_server_with_an_invalid_setting_exits_naming_it(string setting, string value)
    {
        var data = Directory.CreateTempSubdirectory("latchkey-settings-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = await RunServerAsync(data, $"--{setting}={value}");

            Assert.True(exitCode != 0, $"The server started with {setting}={value}:\n{stdout}\n{stderr}");
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var line = Assert.Single(lines);
            Assert.Contains(setting, line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunServerAsync(string dataDirectory, string setting)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { ServerProcess.ServerDll, "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}", "--data-dir", dataDirectory, setting })
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__Console__LogLevel__Default"] = "None";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
