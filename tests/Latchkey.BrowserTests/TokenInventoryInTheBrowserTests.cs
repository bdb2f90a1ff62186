using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// Site admin → Tokens in a real browser: the administrator opens it from the profile menu, filters
/// by owner and type, ticks two tokens, revokes them, and they stop working at once.
/// </summary>
public sealed class TokenInventoryInTheBrowserTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery staple";

    [BrowserFact]
    public async Task An_administrator_filters_the_inventory_and_revokes_two_tokens()
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
            await page.GetByLabel("Username", new() { Exact = true }).FillAsync("root");
            await page.GetByLabel("Email address").FillAsync("root@example.test");
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

            using (var dana = server.NewBrowserSession())
                await dana.SignUpAsync("dana", Password);
            var laptop = await server.IssueClassicAsync("dana", [Scopes.Repo]);
            var ci = await server.IssueClassicAsync("dana", [Scopes.Repo]);
            var keep = await server.IssueClassicAsync("dana", [Scopes.ReadUser]);
            var fine = await server.IssueAsync("dana", RepositoryAccess.All, permissions: FineGrainedTokens.Permissions((FineGrainedPermissions.Contents, PermissionLevel.Read)), name: "reader");

            await page.GotoAsync("/site-admin/users");
            await page.GetByRole(AriaRole.Link, new() { Name = "Tokens" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Tokens" })).ToBeVisibleAsync();
            await page.GetByLabel("Owner").FillAsync("dana");
            await page.GetByLabel("Type").SelectOptionAsync("classic");
            await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("owner=dana.*type=classic"));
            await Expect(page.Locator("[data-token-total]")).ToHaveTextAsync("3 tokens");
            await Expect(page.GetByText("reader", new() { Exact = true })).ToHaveCountAsync(0);

            // The rows carry each token's last eight characters; tick laptop's and ci's.
            foreach (var token in new[] { laptop, ci })
                await page.Locator("[data-token-row]", new() { HasText = "…" + token[^8..] }).GetByRole(AriaRole.Checkbox).CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke selected" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Revoked 2 tokens.");
            await Expect(page.Locator("[data-token-total]")).ToHaveTextAsync("1 token");

            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            async Task<int> StatusWith(string token)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
                request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
                request.Headers.UserAgent.ParseAdd("browser-test");
                using var response = await http.SendAsync(request);
                return (int)response.StatusCode;
            }
            Assert.Equal(401, await StatusWith(laptop));
            Assert.Equal(401, await StatusWith(ci));
            Assert.Equal(200, await StatusWith(keep));
            Assert.Equal(200, await StatusWith(fine));
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
