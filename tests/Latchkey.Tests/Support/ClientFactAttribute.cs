using System.Diagnostics;

namespace Latchkey.Tests.Support;

/// <summary>
/// A test that drives a real third-party client (gh, hub, PyGithub…): skipped with the reason when
/// the client is not installed here, unless LATCHKEY_REQUIRE_ALL=1 (CI installs them), when it runs
/// and fails instead.
/// </summary>
public sealed class ClientFactAttribute : Xunit.FactAttribute
{
    /// <param name="probe">A command that exits 0 when the client is there, e.g. "python3 -c 'import github'".</param>
    public ClientFactAttribute(string client, string probe)
    {
        if (Environment.GetEnvironmentVariable("LATCHKEY_REQUIRE_ALL") != "1" && !Installed(probe))
            Skip = $"{client} is not installed here (`{probe}` failed); CI installs it. Set LATCHKEY_REQUIRE_ALL=1 to make this a failure.";
    }

    public static bool Installed(string probe)
    {
        try
        {
            var info = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(probe);
            using var process = Process.Start(info)!;
            process.WaitForExit(30_000);
            return process.HasExited && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
