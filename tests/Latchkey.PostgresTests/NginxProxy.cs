using System.Diagnostics;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>A test that needs nginx too: skipped with a reason without it, unless LATCHKEY_REQUIRE_ALL=1.</summary>
public sealed class NginxFactAttribute : Xunit.FactAttribute
{
    public NginxFactAttribute()
    {
        if (TestDatabase.SkipReason is { } reason)
            Skip = reason;
        else if (NginxProxy.Nginx is null && Environment.GetEnvironmentVariable("LATCHKEY_REQUIRE_ALL") != "1")
            Skip = "nginx is not installed (apt-get install nginx): the production example is not tested here.";
    }
}

/// <summary>
/// nginx running deploy/nginx.conf as written, in front of two nodes: only its listening port, the nodes'
/// addresses and its temporary folder are changed for the test run. Stopped (gracefully) when disposed.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private static readonly string[] NginxPlaces = ["/usr/sbin/nginx", "/usr/bin/nginx"];

    private readonly string _prefix;
    private readonly string _config;

    private NginxProxy(string prefix, string config, Uri site)
    {
        _prefix = prefix;
        _config = config;
        Site = site;
    }

    public static string? Nginx => NginxPlaces.FirstOrDefault(File.Exists);

    /// <summary>The address clients use.</summary>
    public Uri Site { get; }

    /// <summary>nginx's error log so far (why it gave up on a node), for failure messages.</summary>
    public string ErrorLog => File.Exists(Path.Combine(_prefix, "error.log")) ? File.ReadAllText(Path.Combine(_prefix, "error.log")) : "";

    public static async Task<NginxProxy> StartAsync(Uri first, Uri second)
    {
        var prefix = Directory.CreateTempSubdirectory("latchkey-nginx-").FullName;
        var front = ServerProcess.FreePort();
        var text = (await File.ReadAllTextAsync(SourceTree.PathOf("deploy", "nginx.conf")))
            .Replace("/tmp/latchkey-nginx", prefix, StringComparison.Ordinal)
            .Replace("127.0.0.1:8080", $"127.0.0.1:{front}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5001", first.Authority, StringComparison.Ordinal)
            .Replace("127.0.0.1:5002", second.Authority, StringComparison.Ordinal);
        Assert.Contains(first.Authority, text, StringComparison.Ordinal);
        Assert.Contains(second.Authority, text, StringComparison.Ordinal);
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, text);
        try
        {
            await RunAsync(config);
        }
        catch
        {
            Directory.Delete(prefix, recursive: true);
            throw;
        }
        return new NginxProxy(prefix, config, new Uri($"http://127.0.0.1:{front}/"));
    }

    private static async Task RunAsync(string config, params string[] args)
    {
        var info = new ProcessStartInfo(Nginx ?? throw new InvalidOperationException("nginx is required (apt-get install nginx)")) { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"nginx {string.Join(' ', args)} failed: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(_config, "-s", "quit");
        // nginx's master exits once its workers are done; its folder goes then.
        var pid = Path.Combine(_prefix, "nginx.pid");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.Exists(pid) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
