using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// README's "Running in production" example, as written: PostgreSQL, two nodes on loopback ports, and
/// deploy/nginx.conf in front (only its ports and temporary folder changed for the test run).
/// </summary>
public sealed class ProductionExampleTests
{
    private const string Password = "production example passphrase";

    [NginxFact]
    public async Task Two_nodes_behind_nginx_serve_the_whole_journey()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-example-").FullName;
        var settings = await TestDatabase.SettingsForAsync(data);
        settings["Proxy:KnownProxies"] = "127.0.0.1";
        settings["Latchkey:DrainDelay"] = "00:00:05";
        ServerProcess? one = null, two = null;
        NginxProxy? nginx = null;
        try
        {
            one = await ServerProcess.StartAsync(data, settings);
            two = await ServerProcess.StartAsync(data, settings);
            nginx = await NginxProxy.StartAsync(one.BaseAddress, two.BaseAddress);

            var site = nginx.Site;
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
            if (nginx is not null)
                await nginx.DisposeAsync();
            foreach (var node in new[] { one, two })
            {
                if (node is not null)
                    await node.DisposeAsync();
            }
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }
}
