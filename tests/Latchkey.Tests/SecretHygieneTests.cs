using System.Text;
using Latchkey.Notifications;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// The main flows, with the server logging at Debug: no token secret, password or wrong token that
/// was sent appears in the logs, the database files or anywhere else in the data directory.
/// </summary>
public sealed class SecretHygieneTests
{
    [Fact]
    public async Task No_secret_sent_in_the_main_flows_is_kept_anywhere()
    {
        var secrets = new List<string>();
        await using var server = await LatchkeyServer.StartAsync();
        const string Password = "hygiene check passphrase";
        const string WrongPassword = "a wrong but memorable passphrase";
        secrets.Add(Password);
        secrets.Add(WrongPassword);

        using var web = server.NewBrowserSession();
        await web.SignUpAsync("clean", Password);
        await web.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        var first = await web.CreateTokenAsync("first", ["repo"]);
        var second = await web.CreateTokenAsync("second", ["repo", "delete_repo"], expiration: "none");
        secrets.AddRange([first, second]);

        // Regenerate the second one: both its old and new secrets must be nowhere.
        var (_, list) = await web.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(list, "id=\"token-(\\d+)\"").Groups[1].Value;
        using (await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "7")])) { }
        var (_, shown) = await web.GetAsync("/settings/tokens");
        var regenerated = WebSession.NewTokenBox().Match(shown).Groups[1].Value;
        Assert.StartsWith("lkp_", regenerated, StringComparison.Ordinal);
        secrets.Add(regenerated);

        // Git with the token, with the password, with wrong tokens of both shapes.
        using var git = new GitClient();
        var url = server.Url("/clean/work.git");
        Assert.True((await git.CloneAsync(url, "work", "clean", first)).Succeeded);
        await git.CommitFileAsync("work", "code.txt", "code\n", "Code");
        Assert.True((await git.PushAsync(Path.Combine(git.WorkDirectory, "work"), url, "clean", first, "HEAD:main")).Succeeded);
        Assert.False((await git.CloneAsync(url, "pw", "clean", Password)).Succeeded);
        var wrongShaped = TokenFormat.Generate(TokenKind.Classic);
        var typo = first[..^1] + (first[^1] == 'x' ? 'y' : 'x');
        secrets.AddRange([wrongShaped, typo]);
        Assert.False((await git.CloneAsync(url, "wrong", "clean", wrongShaped)).Succeeded);
        Assert.False((await git.CloneAsync(url, "typo", "clean", typo)).Succeeded);

        // Web sign-in with a wrong password, sudo with a wrong one.
        using (var other = server.NewBrowserSession())
            using (await other.PostFormAsync("/login", [new("Input.Login", "clean"), new("Input.Password", WrongPassword)])) { }
        using (await web.PostFormAsync("/sessions/sudo?return_to=%2F", [new("ReturnTo", "/"), new("Password", WrongPassword)])) { }

        // Push protection catches a live token; the revocation API gets another.
        await git.CommitFileAsync("work", "leak.env", $"TOKEN={regenerated}\n", "Oops");
        Assert.False((await git.PushAsync(Path.Combine(git.WorkDirectory, "work"), url, "clean", first, "HEAD:main")).Succeeded);
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        using (await http.PostAsync("api/v3/credentials/revoke", new StringContent($"{{\"credentials\":[\"{second}\"]}}", Encoding.UTF8, "application/json"))) { }

        // Reminders are mailed too.
        server.Clock.Advance(TimeSpan.FromDays(25));
        using (var scope = server.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<ExpiryReminders>().RunOnceAsync(CancellationToken.None);

        var logs = server.AllLogs;
        Assert.Contains("Debug", logs, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            if (secret.StartsWith("lkp_", StringComparison.Ordinal))
                Assert.DoesNotContain(secret[4..], logs, StringComparison.Ordinal);
        }

        var files = Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        if (!TestDatabase.IsPostgres)
            Assert.Contains(files, f => f.EndsWith("latchkey.db", StringComparison.Ordinal));
        var database = await TestDatabase.DumpAsync(server.DataDirectory);
        Assert.Contains("PersonalAccessTokens", database, StringComparison.Ordinal);
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, database, StringComparison.Ordinal);
        Assert.Contains(files, f => f.EndsWith(".eml", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var latin = Encoding.Latin1.GetString(bytes);
            var utf16 = Encoding.Unicode.GetString(bytes);
            foreach (var secret in secrets)
            {
                Assert.False(latin.Contains(secret, StringComparison.Ordinal) || utf16.Contains(secret, StringComparison.Ordinal),
                    $"{Path.GetRelativePath(server.DataDirectory, file)} holds a secret that was sent to the server");
            }
        }
    }

    [Fact]
    public async Task Tokens_fed_through_paths_ref_names_file_names_and_commit_messages_are_kept_nowhere()
    {
        await using var server = await LatchkeyServer.StartAsync();
        const string Password = "hygiene feeding passphrase";
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("feeder", Password);
        await web.CreateRepositoryAsync("pub", isPrivate: false, addReadme: true);
        var work = await server.IssueClassicAsync("feeder", ["repo"]);
        var fed = new Dictionary<string, string>();
        async Task<string> LiveAsync(string where)
        {
            var token = await server.IssueClassicAsync("feeder", ["repo"]);
            fed[where] = token;
            return token;
        }

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("hygiene-tests");
        // A token pasted into URL paths: the API, a git URL's owner segment, a web page.
        using (await http.GetAsync($"api/v3/repos/feeder/pub/contents/{await LiveAsync("api path")}")) { }
        using (await http.GetAsync($"{await LiveAsync("git owner segment")}/pub.git/info/refs?service=git-upload-pack")) { }
        using (await http.GetAsync($"feeder/pub/blob/main/{await LiveAsync("web path")}")) { }

        // A file written through the contents API to a path holding a live token: refused, revoked.
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"api/v3/repos/feeder/pub/contents/docs/{await LiveAsync("contents path")}.txt"))
        {
            put.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", work);
            put.Content = new StringContent("{\"message\":\"Add\",\"content\":\"eA==\"}", Encoding.UTF8, "application/json");
            using var refused = await http.SendAsync(put);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
        }

        // Pushes holding a token in a file name, a commit message, a branch name and a tag name: each refused.
        using var git = new GitClient();
        var url = server.Url("/feeder/pub.git");
        Assert.True((await git.CloneAsync(url, "pub", "feeder", work)).Succeeded);
        var clone = Path.Combine(git.WorkDirectory, "pub");
        async Task RefusedAsync(string refspec)
        {
            var push = await git.PushAsync(clone, url, "feeder", work, refspec);
            Assert.False(push.Succeeded, $"A push of {refspec} holding a live token was accepted:\n{push}");
            Assert.Contains("Push cannot contain secrets", push.Error, StringComparison.Ordinal);
        }
        await git.CommitFileAsync("pub", $"{await LiveAsync("file name")}.txt", "harmless\n", "Add a file");
        await RefusedAsync("HEAD:main");
        Assert.True((await git.RunAsync(clone, null, null, "reset", "--hard", "origin/main")).Succeeded);
        await git.CommitFileAsync("pub", "notes.txt", "notes\n", $"Deploy with {await LiveAsync("commit message")}");
        await RefusedAsync("HEAD:main");
        Assert.True((await git.RunAsync(clone, null, null, "reset", "--hard", "origin/main")).Succeeded);
        await RefusedAsync($"HEAD:refs/heads/{await LiveAsync("branch name")}");
        var tag = await LiveAsync("tag name");
        Assert.True((await git.RunAsync(clone, null, null, "tag", tag)).Succeeded);
        await RefusedAsync($"refs/tags/{tag}:refs/tags/{tag}");

        var logs = server.AllLogs;
        var database = await TestDatabase.DumpAsync(server.DataDirectory);
        // The revocations were recorded, naming where the token was found (masked).
        using (var scope = server.Services.CreateScope())
        {
            var details = scope.ServiceProvider.GetRequiredService<Latchkey.Data.LatchkeyDb>().SecurityEvents.Select(e => e.Detail ?? "").ToList();
            Assert.Contains(details, d => d.Contains("docs/lkp_…" + fed["contents path"][^8..], StringComparison.Ordinal));
        }
        // The request line is still there, with the token masked to what the token list shows.
        Assert.Contains("/api/v3/repos/feeder/pub/contents/lkp_…" + fed["api path"][^8..] + " answered", logs, StringComparison.Ordinal);
        var files = Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        foreach (var (where, token) in fed)
        {
            Assert.False(logs.Contains(token[4..], StringComparison.Ordinal), $"The server log holds the token fed through the {where}:\n"
                + string.Join("\n", logs.Split('\n').Where(line => line.Contains(token[4..], StringComparison.Ordinal))));
            Assert.False(database.Contains(token[4..], StringComparison.Ordinal), $"The database holds the token fed through the {where}");
            foreach (var file in files)
            {
                var latin = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
                Assert.False(latin.Contains(token[4..], StringComparison.Ordinal),
                    $"{Path.GetRelativePath(server.DataDirectory, file)} holds the token fed through the {where}");
            }
        }
    }
}
