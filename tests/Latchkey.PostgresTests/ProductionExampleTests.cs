using System.Diagnostics;
using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>A test that needs nginx too: skipped with a reason without it, unless LATCHKEY_REQUIRE_ALL=1.</summary>
public sealed class NginxFactAttribute : Xunit.FactAttribute
{
    public NginxFactAttribute()
    {
        if (TestDatabase.SkipReason is { } reason)
            Skip = reason;
        else if (ProductionExampleTests.Nginx is null && Environment.GetEnvironmentVariable("LATCHKEY_REQUIRE_ALL") != "1")
            Skip = "nginx is not installed (apt-get install nginx): the production example is not tested here.";
    }
}

/// <summary>
/// README's "Running in production" example, as written: PostgreSQL, two nodes on loopback ports, and
/// deploy/nginx.conf in front (only its ports and temporary folder changed for the test run).
/// </summary>
public sealed class ProductionExampleTests
{
    private const string Password = "production example passphrase";

    private static readonly string[] NginxPlaces = ["/usr/sbin/nginx", "/usr/bin/nginx"];

    public static string? Nginx => NginxPlaces.FirstOrDefault(File.Exists);

    private static async Task<int> RunNginxAsync(string config, params string[] args)
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
        return process.ExitCode;
    }

    [NginxFact]
    public async Task Two_nodes_behind_nginx_serve_the_whole_journey()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-example-").FullName;
        var prefix = Directory.CreateTempSubdirectory("latchkey-nginx-").FullName;
        var settings = await TestDatabase.SettingsForAsync(data);
        settings["Proxy:KnownProxies"] = "127.0.0.1";
        ServerProcess? one = null, two = null;
        var config = Path.Combine(prefix, "nginx.conf");
        var nginxStarted = false;
        try
        {
            one = await ServerProcess.StartAsync(data, settings);
            two = await ServerProcess.StartAsync(data, settings);
            var front = ServerProcess.FreePort();
            var text = (await File.ReadAllTextAsync(SourceTree.PathOf("deploy", "nginx.conf")))
                .Replace("/tmp/latchkey-nginx", prefix, StringComparison.Ordinal)
                .Replace("127.0.0.1:8080", $"127.0.0.1:{front}", StringComparison.Ordinal)
                .Replace("127.0.0.1:5001", one.BaseAddress.Authority, StringComparison.Ordinal)
                .Replace("127.0.0.1:5002", two.BaseAddress.Authority, StringComparison.Ordinal);
            Assert.Contains(one.BaseAddress.Authority, text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(config, text);
            await RunNginxAsync(config);
            nginxStarted = true;

            var site = new Uri($"http://127.0.0.1:{front}/");
            using var web = new WebSession(site);
            await web.SignUpAsync("erin", Password);
            await web.CreateRepositoryAsync("behind-nginx", isPrivate: true, addReadme: true);
            var token = await web.CreateTokenAsync("nginx", ["repo"]);

            using var git = new GitClient();
            var url = new Uri(site, "erin/behind-nginx.git").ToString();
            var clone = await git.CloneAsync(url, "work", "erin", token);
            Assert.True(clone.Succeeded, clone.ToString());
            // A push of a few megabytes streams through the proxy unbuffered.
            await git.CommitFileAsync("work", "big.txt", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * 1024 * 1024)), "Big file");
            for (var i = 0; i < 4; i++)
            {
                await git.CommitFileAsync("work", $"step{i}.txt", $"step {i}\n", $"Step {i}");
                var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "work"), url, "erin", token);
                Assert.True(push.Succeeded, push.ToString());
            }
            var again = await git.CloneAsync(url, "again", "erin", token);
            Assert.True(again.Succeeded, again.ToString());
            Assert.True(File.Exists(Path.Combine(git.WorkDirectory, "again", "step3.txt")));

            // The repository page names the address people use, the proxy's.
            var (status, page) = await web.GetAsync("/erin/behind-nginx");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains(url, page, StringComparison.Ordinal);

            // nginx spread the work over both nodes.
            Assert.Contains("Request ", one.Output, StringComparison.Ordinal);
            Assert.Contains("Request ", two.Output, StringComparison.Ordinal);

            // One node stops: the site keeps answering through the other.
            await one.StopAsync();
            for (var i = 0; i < 4; i++)
                Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/erin/behind-nginx")).Status);
        }
        finally
        {
            if (nginxStarted)
                await RunNginxAsync(config, "-s", "quit");
            foreach (var node in new[] { one, two })
            {
                if (node is not null)
                    await node.DisposeAsync();
            }
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
            Directory.Delete(prefix, recursive: true);
        }
    }
}
