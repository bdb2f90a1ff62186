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
}
