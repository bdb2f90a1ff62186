using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Clients;

/// <summary>
/// The real gh (Debian's), against Latchkey over HTTPS on port 443 with its development certificate
/// (gh speaks only HTTPS to an enterprise host and takes no port): log in with a token, check the
/// login, create, list, view, clone and delete a repository, call the REST API; and a token without
/// repo refused by gh's own checks with GitHub's messages.
/// </summary>
[Collection(Port443.Name)]
public sealed class GhTests
{
    private const string Host = "localhost";

    [ClientFact("gh", "command -v gh")]
    public async Task Gh_logs_in_with_a_token_and_manages_repositories()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Latchkey:DevCertificate"] = "true" }, urls: $"https://{Host}:443");
        var pem = Path.Combine(server.DataDirectory, "dev-certificate.pem");
        Assert.True(File.Exists(pem), "the development certificate's public part is not in the data directory");
        using (var web = new WebSession(server.BaseAddress, null, null, pem))
            await web.SignUpAsync("octo", "gh integration passphrase");
        var token = await server.IssueClassicAsync("octo", ["repo", "read:org", "delete_repo"]);
        var weak = await server.IssueClassicAsync("octo", ["read:org"]);
        var home = Directory.CreateTempSubdirectory("latchkey-gh-").FullName;
        try
        {
            var gh = new Gh(home, pem);
            var login = await gh.RunAsync(token, "auth", "login", "--hostname", Host, "--with-token");
            Assert.True(login.Exit == 0, login.ToString());

            var status = await gh.RunAsync(null, "auth", "status", "--hostname", Host);
            Assert.True(status.Exit == 0, status.ToString());
            Assert.Contains($"Logged in to {Host} as octo", status.All, StringComparison.Ordinal);
            Assert.Contains("Token scopes: repo, read:org, delete_repo", status.All, StringComparison.Ordinal);

            var create = await gh.RunAsync(null, "repo", "create", "octo/from-gh", "--private");
            Assert.True(create.Exit == 0, create.ToString());
            Assert.Contains($"https://{Host}/octo/from-gh", create.All, StringComparison.Ordinal);

            var list = await gh.RunAsync(null, "repo", "list", "octo");
            Assert.True(list.Exit == 0, list.ToString());
            Assert.Matches(@"octo/from-gh\s+private", list.Output);

            var view = await gh.RunAsync(null, "repo", "view", "octo/from-gh");
            Assert.True(view.Exit == 0, view.ToString());
            Assert.Contains("name:\tocto/from-gh", view.Output, StringComparison.Ordinal);

            var setup = await gh.RunAsync(null, "auth", "setup-git", "--hostname", Host);
            Assert.True(setup.Exit == 0, setup.ToString());
            var clone = await gh.RunAsync(null, "repo", "clone", "octo/from-gh", Path.Combine(home, "from-gh"));
            Assert.True(clone.Exit == 0, clone.ToString());
            Assert.True(Directory.Exists(Path.Combine(home, "from-gh", ".git")), clone.ToString());

            var api = await gh.RunAsync(null, "api", "user");
            Assert.True(api.Exit == 0, api.ToString());
            Assert.Equal("octo", JsonDocument.Parse(api.Output).RootElement.GetProperty("login").GetString());

            var delete = await gh.RunAsync(null, "repo", "delete", "octo/from-gh", "--yes");
            Assert.True(delete.Exit == 0, delete.ToString());
            var gone = await gh.RunAsync(null, "repo", "view", "octo/from-gh");
            Assert.NotEqual(0, gone.Exit);
            Assert.Contains("Could not resolve to a Repository with the name 'octo/from-gh'.", gone.All, StringComparison.Ordinal);

            // A token without repo: gh's own login check refuses it, and a private repository is not there for it.
            var weakHome = Directory.CreateTempSubdirectory("latchkey-gh-weak-").FullName;
            var weakGh = new Gh(weakHome, pem);
            var weakLogin = await weakGh.RunAsync(weak, "auth", "login", "--hostname", Host, "--with-token");
            Assert.NotEqual(0, weakLogin.Exit);
            Assert.Contains("missing required scope 'repo'", weakLogin.All, StringComparison.Ordinal);
            var secret = await gh.RunAsync(null, "repo", "create", "octo/secret", "--private");
            Assert.True(secret.Exit == 0, secret.ToString());
            var hidden = await weakGh.RunAsync(null, new Dictionary<string, string> { ["GH_ENTERPRISE_TOKEN"] = weak }, "repo", "view", "octo/secret");
            Assert.NotEqual(0, hidden.Exit);
            Assert.Contains("GraphQL: Could not resolve to a Repository with the name 'octo/secret'. (repository)", hidden.All, StringComparison.Ordinal);
            Directory.Delete(weakHome, recursive: true);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
        Assert.Empty(server.FiveHundreds);
    }

    /// <summary>README's "Use it with gh" commands, run as written (the user alice becomes this test's, the token this test's).</summary>
    [ClientFact("gh", "command -v gh")]
    public async Task The_gh_commands_in_the_readme_work_as_written()
    {
        var commands = ReadmeGhCommands();
        Assert.True(commands.Count >= 5, "README's gh section lists too few commands:\n" + string.Join('\n', commands));
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Latchkey:DevCertificate"] = "true" }, urls: $"https://{Host}:443");
        var pem = Path.Combine(server.DataDirectory, "dev-certificate.pem");
        using (var web = new WebSession(server.BaseAddress, null, null, pem))
            await web.SignUpAsync("alice", "gh readme passphrase");
        var token = await server.IssueClassicAsync("alice", ["repo", "read:org"]);
        var home = Directory.CreateTempSubdirectory("latchkey-gh-readme-").FullName;
        try
        {
            var gh = new Gh(home, pem);
            foreach (var command in commands)
            {
                // `echo "$TOKEN" | gh …` gives the token on standard input; the rest are plain arguments.
                var piped = command.StartsWith("echo \"$TOKEN\" | ", StringComparison.Ordinal);
                var words = (piped ? command["echo \"$TOKEN\" | ".Length..] : command).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
                if (words[0] == "GH_HOST=localhost")
                    words.RemoveAt(0);
                Assert.Equal("gh", words[0]);
                var run = await gh.RunAsync(piped ? token : null, [.. words.Skip(1)]);
                Assert.True(run.Exit == 0, $"README's `{command}`:\n{run}");
            }
            Assert.True(Directory.Exists(Path.Combine(home, "tools", ".git")), "README's gh repo clone left no clone");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The gh lines of the first sh block under README's "Use it with gh" heading, comments removed.</summary>
    private static List<string> ReadmeGhCommands()
    {
        var readme = File.ReadAllText(SourceTree.PathOf("README.md"));
        var section = readme[readme.IndexOf("## Use it with gh", StringComparison.Ordinal)..];
        var block = section[(section.IndexOf("```sh", StringComparison.Ordinal) + 5)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        return block.Split('\n')
            .Select(line => (line.Contains('#', StringComparison.Ordinal) ? line[..line.IndexOf('#', StringComparison.Ordinal)] : line).Trim())
            .Where(line => line.Contains("gh ", StringComparison.Ordinal) && !line.StartsWith("dotnet", StringComparison.Ordinal) && !line.StartsWith("export", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>gh with its own configuration and home (so its git credential helper is this test's only), trusting the certificate.</summary>
    private sealed class Gh(string home, string certificate)
    {
        public Task<ClientRun> RunAsync(string? stdin, params string[] args) => RunAsync(stdin, new Dictionary<string, string>(), args);

        public Task<ClientRun> RunAsync(string? stdin, IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            var variables = new Dictionary<string, string>
            {
                ["HOME"] = home, ["GH_CONFIG_DIR"] = Path.Combine(home, ".config", "gh"), ["GH_HOST"] = Host,
                ["SSL_CERT_FILE"] = certificate, ["GIT_SSL_CAINFO"] = certificate,
                ["GH_NO_UPDATE_NOTIFIER"] = "1", ["GH_PROMPT_DISABLED"] = "1", ["NO_COLOR"] = "1", ["GIT_TERMINAL_PROMPT"] = "0",
            };
            foreach (var (key, value) in environment)
                variables[key] = value;
            return ClientProcess.RunAsync("gh", args, home, variables, stdin);
        }
    }
}

/// <summary>The client tests that serve HTTPS on localhost:443 (gh and hub need that port) run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class Port443
{
    public const string Name = "HTTPS on localhost:443";
}
