using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Clients;

/// <summary>
/// The real hub (Debian's), pointed at Latchkey as at GitHub Enterprise (GITHUB_HOST, GITHUB_TOKEN,
/// HUB_PROTOCOL=https) over the development certificate: hub api user, hub create -p, hub clone.
/// git takes the same token as its password, from a credential helper as a user would set one up.
/// </summary>
[Collection(Port443.Name)]
public sealed class HubTests
{
    [ClientFact("hub", "command -v hub")]
    public async Task Hub_calls_the_api_creates_a_private_repository_and_clones_it()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Latchkey:DevCertificate"] = "true" }, urls: "https://localhost:443");
        var pem = Path.Combine(server.DataDirectory, "dev-certificate.pem");
        using (var web = new WebSession(server.BaseAddress, null, null, pem))
            await web.SignUpAsync("hubber", "hub integration passphrase");
        var token = await server.IssueClassicAsync("hubber", ["repo"]);
        var home = Directory.CreateTempSubdirectory("latchkey-hub-").FullName;
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["HOME"] = home, ["GITHUB_HOST"] = "localhost", ["GITHUB_TOKEN"] = token, ["GITHUB_USER"] = "hubber", ["HUB_PROTOCOL"] = "https",
                ["SSL_CERT_FILE"] = pem, ["GIT_SSL_CAINFO"] = pem, ["GIT_TERMINAL_PROMPT"] = "0",
            };
            Assert.Equal(0, (await RunAsync(home, environment, "git", "config", "--global", "credential.helper",
                "!f() { echo username=hubber; echo \"password=$GITHUB_TOKEN\"; }; f")).Exit);

            var api = await RunAsync(home, environment, "hub", "api", "user");
            Assert.True(api.Exit == 0, api.ToString());
            Assert.Equal("hubber", JsonDocument.Parse(api.Output).RootElement.GetProperty("login").GetString());

            var project = Directory.CreateDirectory(Path.Combine(home, "project")).FullName;
            Assert.Equal(0, (await RunAsync(project, environment, "git", "init", "-q")).Exit);
            var create = await RunAsync(project, environment, "hub", "create", "-p", "hubber/from-hub");
            Assert.True(create.Exit == 0, create.ToString());
            Assert.Contains("https://localhost/hubber/from-hub", create.Output, StringComparison.Ordinal);
            var remote = await RunAsync(project, environment, "git", "remote", "get-url", "origin");
            Assert.Equal("https://localhost/hubber/from-hub.git", remote.Output.Trim());

            var repo = await RunAsync(home, environment, "hub", "api", "repos/hubber/from-hub");
            Assert.True(JsonDocument.Parse(repo.Output).RootElement.GetProperty("private").GetBoolean(), repo.ToString());

            var clone = await RunAsync(home, environment, "hub", "clone", "hubber/from-hub", "copy");
            Assert.True(clone.Exit == 0, clone.ToString());
            Assert.True(Directory.Exists(Path.Combine(home, "copy", ".git")), clone.ToString());
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
        Assert.Empty(server.FiveHundreds);
    }

    private static Task<ClientRun> RunAsync(string directory, IReadOnlyDictionary<string, string> environment, string program, params string[] args) =>
        ClientProcess.RunAsync(program, args, directory, environment);
}
