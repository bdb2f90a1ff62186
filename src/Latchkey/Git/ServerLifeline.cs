using System.Diagnostics;
using System.Globalization;

namespace Latchkey.Git;

/// <summary>
/// What ties the git transport processes to this server, so that none outlives it: when the server
/// dies (kill -9, out of memory) nobody reads their output or answers the push-protection hook.
/// <list type="bullet">
/// <item>git reading the request sees end of file, git writing the response sees a broken pipe (the
/// pipes close with the server); both exit at once. Only the pre-receive hook waits on nothing but
/// the server, so it watches the server's life.</item>
/// <item>The hook is told the server's process id and, on Linux, its start time from
/// <c>/proc/self/stat</c>: an id alone can be reused by another process, an id with its start time
/// cannot. Without /proc the hook falls back to <c>kill -0</c>.</item>
/// <item>Each git process starts in a session of its own (<c>setsid</c>, which execs git in place, so
/// the process id, exit code and <see cref="Process.Kill(bool)"/> are git's), so the hook can end
/// the push's whole process group without touching anything else. This is not PR_SET_PDEATHSIG,
/// which fires when the forking thread exits (thread-pool threads come and go), not the server.
/// It also keeps a Ctrl-C at the server's terminal from killing running git: the server's graceful
/// shutdown decides, as for SIGTERM.</item>
/// </list>
/// </summary>
public static class ServerLifeline
{
    private static readonly string? Setsid = FindSetsid();

    /// <summary>The server's start time in clock ticks since boot (field 22 of /proc/self/stat), or null off Linux.</summary>
    public static string? StartTime { get; } = ReadStartTime();

    /// <summary>Makes <paramref name="info"/> (a git command) start in its own session and carry the server's identity.</summary>
    public static void Attach(ProcessStartInfo info)
    {
        info.Environment["LATCHKEY_SERVER_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (StartTime is not null)
            info.Environment["LATCHKEY_SERVER_START"] = StartTime;
        if (Setsid is null)
            return;
        info.ArgumentList.Insert(0, info.FileName);
        info.FileName = Setsid;
        info.Environment["LATCHKEY_OWN_SESSION"] = "1";
    }

    private static string? ReadStartTime()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // The command name (field 2) is in parentheses and may hold spaces or ')': fields are counted after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && fields[19].All(char.IsAsciiDigit) ? fields[19] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? FindSetsid()
    {
        if (OperatingSystem.IsWindows())
            return null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "setsid"))
            .FirstOrDefault(File.Exists);
    }
}
