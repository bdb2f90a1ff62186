using Latchkey.Notifications;
using Latchkey.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>7 days before, 1 day before and at expiry the owner is told once each, with a link to regenerate.</summary>
public sealed class ExpiryReminderTests
{
    private const string Password = "reminder passphrase";
    private static readonly Dictionary<string, string> JobOff = new() { ["Reminders:Enabled"] = "false" };

    private static async Task<int> RunAsync(LatchkeyServer server)
    {
        using var scope = server.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ExpiryReminders>().RunOnceAsync(CancellationToken.None);
    }

    private static List<string> Mail(string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, "mail");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList()
            : [];
    }

    [Fact]
    public async Task Each_reminder_goes_once_at_its_time_and_survives_a_restart()
    {
        var data = Directory.CreateTempSubdirectory("latchkey-reminders-").FullName;
        try
        {
            string token;
            DateTimeOffset start;
            await using (var server = await LatchkeyServer.StartAsync(JobOff, reuseDataDirectory: data))
            {
                using var web = server.NewBrowserSession();
                await web.SignUpAsync("mona", Password, "mona@example.test");
                token = await web.CreateTokenAsync("deploy bot", ["repo", "user"], expiration: "30");
                start = server.Clock.GetUtcNow();

                Assert.Equal(0, await RunAsync(server));
                server.Clock.Advance(TimeSpan.FromDays(23) + TimeSpan.FromMinutes(1));
                Assert.Equal(1, await RunAsync(server));
                Assert.Equal(0, await RunAsync(server));
                using var later = server.NewBrowserSession();
                await later.SignInAsync("mona", Password);
                var (_, home) = await later.GetAsync("/");
                Assert.Contains("One of your personal access tokens expires within 7 days.", home, StringComparison.Ordinal);
            }

            var mail = Mail(data);
            var first = Assert.Single(mail);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(data, "mail")));
            Assert.All(Directory.EnumerateFiles(Path.Combine(data, "mail")), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
            Assert.Contains("To: mona <mona@example.test>", first, StringComparison.Ordinal);
            Assert.Contains("Subject: [Latchkey] Your personal access token \"deploy bot\" expires in 7 days", first, StringComparison.Ordinal);
            Assert.Contains("with repo, user will expire on", first, StringComparison.Ordinal);
            Assert.Matches("http://127\\.0\\.0\\.1:\\d+/settings/tokens/\\d+/regenerate", first);
            Assert.DoesNotContain(token, first, StringComparison.Ordinal);

            // A restart on the same data: nothing is sent twice; the later reminders still come.
            await using (var again = await LatchkeyServer.StartAsync(JobOff, reuseDataDirectory: data))
            {
                again.Clock.SetUtcNow(start + TimeSpan.FromDays(23) + TimeSpan.FromMinutes(2));
                Assert.Equal(0, await RunAsync(again));
                again.Clock.Advance(TimeSpan.FromDays(6));
                Assert.Equal(1, await RunAsync(again));
                again.Clock.Advance(TimeSpan.FromDays(1));
                Assert.Equal(1, await RunAsync(again));
                Assert.Equal(0, await RunAsync(again));

                using var web = again.NewBrowserSession();
                await web.SignInAsync("mona", Password);
                var (_, log) = await web.GetAsync("/settings/security-log");
                Assert.Contains("personal_access_token.expired", log, StringComparison.Ordinal);
                var (_, home) = await web.GetAsync("/");
                Assert.DoesNotContain("data-expiry-banner", home, StringComparison.Ordinal);
            }

            mail = Mail(data);
            Assert.Equal(3, mail.Count);
            Assert.Single(mail, m => m.Contains("expires tomorrow", StringComparison.Ordinal));
            Assert.Single(mail, m => m.Contains("\"deploy bot\" has expired", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Regenerating_clears_the_banner_and_starts_the_reminders_afresh()
    {
        await using var server = await LatchkeyServer.StartAsync(JobOff);
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("renew", Password);
        await web.CreateTokenAsync("ci", ["repo"], expiration: "7");
        Assert.Contains("data-expiry-banner", (await web.GetAsync("/")).Body, StringComparison.Ordinal);
        Assert.Equal(1, await RunAsync(server));

        var (_, list) = await web.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(list, "id=\"token-(\\d+)\"").Groups[1].Value;
        using (await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "30")])) { }
        Assert.DoesNotContain("data-expiry-banner", (await web.GetAsync("/")).Body, StringComparison.Ordinal);
        Assert.Equal(0, await RunAsync(server));
        server.Clock.Advance(TimeSpan.FromDays(24));
        Assert.Equal(1, await RunAsync(server));
        Assert.Equal(2, Mail(server.DataDirectory).Count);
    }

    [Fact]
    public async Task The_background_job_sends_reminders_on_its_own()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Reminders:Enabled"] = "true", ["Reminders:Interval"] = "00:01:00" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("waiting", Password);
        await web.CreateTokenAsync("soon", ["repo"], expiration: "7");
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 100 && Mail(server.DataDirectory).Count == 0; i++)
            await Task.Delay(50);
        Assert.Contains("expires in 7 days", Assert.Single(Mail(server.DataDirectory)), StringComparison.Ordinal);
    }
}
