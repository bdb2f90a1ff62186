using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Latchkey.Tests.Support;

/// <summary>
/// The server as its own operating-system process (`dotnet Latchkey.dll`), as production runs it: for
/// tests of several nodes, of the command line and of shutdown. It shares nothing in memory with the
/// test or with other nodes; its output is kept for failure messages.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The server's process id (for reading its memory in /proc).</summary>
    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Url(string path) => new Uri(BaseAddress, path.TrimStart('/')).ToString();

    /// <summary>The server binary the tests were built with.</summary>
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Latchkey.dll");

    /// <summary>A free loopback port (the server is told it; another process could take it in between, rarely).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a node on <paramref name="dataDirectory"/> and waits until /readyz answers 200.</summary>
    /// <param name="port">The loopback port to listen on (a restart takes its predecessor's); a free one when null.</param>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> settings, int? port = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        port ??= FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { ServerDll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDirectory, "--Reminders:Enabled=false" })
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in settings)
            info.ArgumentList.Add($"--{key}={value}");
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet could not be started");
        var node = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The server exited with {process.ExitCode} at start:\n{node.Output}");
            try
            {
                using var ready = await http.GetAsync("readyz");
                if (ready.StatusCode == HttpStatusCode.OK)
                    return node;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
                // One probe that outlasted its 5 s (a node still starting on a busy machine) is not the verdict; the deadline is.
            }
            await Task.Delay(200);
        }
        await node.DisposeAsync();
        throw new TimeoutException($"The server on port {port} was not ready within 90 s:\n{node.Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>Asks the server to stop as a service manager does (SIGTERM) and waits for it to exit.</summary>
    public async Task<int> StopAsync(TimeSpan? wait = null)
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(timeout.Token);
        }
        return _process.ExitCode;
    }

    /// <summary>
    /// Kills the server outright (SIGKILL, as the out-of-memory killer would), and only the server:
    /// the processes it started are left to notice by themselves.
    /// </summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
