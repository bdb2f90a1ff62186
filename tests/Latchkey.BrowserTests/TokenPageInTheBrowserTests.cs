using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// A classic token's page in a real browser: after the token cloned one of three repositories, its
/// Networks section lists where it was used (a new network mailed), its Usage section names what it
/// never used, and "Narrow to what it used" shows the change and makes it.
/// </summary>
public sealed class TokenPageInTheBrowserTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery staple";

    [BrowserFact]
    public async Task The_token_page_shows_what_the_token_used_and_narrows_it_to_that()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new() { BaseURL = server.BaseAddress.ToString(), Locale = "en-US", TimezoneId = "UTC" });
        context.SetDefaultTimeout(15_000);
        SetDefaultExpectTimeout(10_000);
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync("/signup");
            await page.GetByLabel("Username", new() { Exact = true }).FillAsync("erin");
            await page.GetByLabel("Email address").FillAsync("erin@example.test");
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

            using (var web = server.NewBrowserSession())
            {
                await web.SignInAsync("erin", Password);
                foreach (var name in new[] { "app", "docs", "infra" })
                    await web.CreateRepositoryAsync(name, isPrivate: true, addReadme: true);
            }
            var token = await server.IssueClassicAsync("erin", [Scopes.Repo, Scopes.DeleteRepo, Scopes.Gist]);
            using (var git = new GitClient())
                Assert.True((await git.CloneAsync(server.Url("/erin/app.git"), "app", "erin", token)).Succeeded);

            await page.GotoAsync("/settings/tokens");
            await page.Locator("[data-token-note]").First.ClickAsync();
            var usage = page.Locator("[data-token-usage]");
            await Expect(usage.GetByRole(AriaRole.Heading, new() { Name = "Usage" })).ToBeVisibleAsync();
            await Expect(usage.Locator("[data-usage-scopes-used]")).ToContainTextAsync("repo");
            await Expect(usage.Locator("[data-usage-scopes-unused]")).ToContainTextAsync("delete_repo");
            await Expect(usage.Locator("[data-usage-scopes-unused]")).ToContainTextAsync("gist");
            await Expect(usage.Locator("[data-usage-repositories-unused]")).ToContainTextAsync("Repositories never touched: 2 of 3:");
            await Expect(usage.Locator("[data-usage-repositories-unused]")).ToContainTextAsync("erin/docs, erin/infra");

            // The networks it was used from: the clone's, then an API call from another /24, which is mailed.
            var networks = page.Locator("[data-token-networks]");
            await Expect(networks.Locator("[data-token-network='127.0.0.0/24']")).ToBeVisibleAsync();
            using (var elsewhere = new HttpClient(WebSession.Handler(null, System.Net.IPAddress.Parse("127.0.1.5"))) { BaseAddress = server.BaseAddress })
            {
                using var call = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
                call.Headers.TryAddWithoutValidation("Authorization", "token " + token);
                call.Headers.UserAgent.ParseAdd("deploy-script/2.0");
                using var answer = await elsewhere.SendAsync(call);
                Assert.Equal(200, (int)answer.StatusCode);
            }
            await page.ReloadAsync();
            await Expect(networks.Locator("[data-token-network]")).ToHaveCountAsync(2);
            await Expect(networks.Locator("[data-token-network]").First).ToHaveAttributeAsync("data-token-network", "127.0.1.0/24");
            await Expect(networks.Locator("[data-token-network='127.0.1.0/24']")).ToContainTextAsync("deploy-script/2.0");
            await Expect(networks.Locator("[data-token-network='127.0.1.0/24']")).ToContainTextAsync("you were mailed about it");

            // The change is shown before it is made.
            var changes = usage.Locator("[data-usage-changes]");
            await Expect(changes).Not.ToBeVisibleAsync();
            await usage.GetByText("Narrow to what it used").ClickAsync();
            await Expect(changes).ToBeVisibleAsync();
            await Expect(changes.GetByRole(AriaRole.Listitem)).ToHaveTextAsync(new Regex("^Scopes: .*delete_repo.* → repo$"));
            await usage.GetByRole(AriaRole.Button, new() { Name = "Narrow this token" }).ClickAsync();

            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Narrowed the token to what it used.");
            await Expect(page.Locator("[data-usage-scopes-unused]")).ToHaveCountAsync(0);
            await Expect(page.Locator("[data-usage-narrow]")).ToHaveCountAsync(0);
            await Expect(page.Locator("input[name='Input.Scopes'][value='delete_repo']")).Not.ToBeCheckedAsync();
            await Expect(page.Locator("input[name='Input.Scopes'][value='repo']")).ToBeCheckedAsync();

            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Delete, "api/v3/repos/erin/docs");
            request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
            request.Headers.UserAgent.ParseAdd("browser-test");
            using var response = await http.SendAsync(request);
            Assert.Equal(403, (int)response.StatusCode);
            using (var git = new GitClient())
                Assert.True((await git.CloneAsync(server.Url("/erin/app.git"), "app", "erin", token)).Succeeded, "the narrowed token lost the clone it was used for");
        }
        catch (Exception)
        {
            var shot = Path.Combine(Directory.CreateTempSubdirectory("latchkey-browser-").FullName, "failure.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            output.WriteLine($"Failure screenshot ({page.Url}): {shot}");
            throw;
        }
    }
}
