using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// The links gh, VS Code and READMEs send people to (GitHub's
/// <c>/settings/tokens/new?scopes=…&amp;description=…</c>) open the classic form with those boxes
/// ticked and the note filled; the token is made only when the person clicks Generate token.
/// </summary>
public sealed class PrefilledTokenLinkInTheBrowserTests(ITestOutputHelper output)
{
    [BrowserFact]
    public async Task A_prefilled_link_ticks_the_scopes_and_fills_the_note()
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
            await page.GetByLabel("Username", new() { Exact = true }).FillAsync("vscode-user");
            await page.GetByLabel("Email address").FillAsync("vscode-user@example.test");
            await page.GetByLabel("Password").FillAsync("correct horse battery staple");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

            await page.GotoAsync("/settings/tokens/new?scopes=repo,gist,read:org,no-such-scope&description=VS%20Code");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New personal access token (classic)" })).ToBeVisibleAsync();
            await Expect(page.GetByLabel("Note", new() { Exact = true })).ToHaveValueAsync("VS Code");
            foreach (var scope in new[] { "repo", "gist", "read:org" })
                await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = scope, Exact = true })).ToBeCheckedAsync();
            foreach (var scope in new[] { "delete_repo", "workflow", "user" })
                await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = scope, Exact = true })).Not.ToBeCheckedAsync();
            // gist guards nothing on this server yet, and says so.
            await Expect(page.Locator(".Box-row", new() { Has = page.GetByRole(AriaRole.Checkbox, new() { Name = "gist", Exact = true }) })
                .GetByText("not used on this server yet")).ToBeVisibleAsync();

            // Nothing exists until the person generates it.
            await page.GotoAsync("/settings/tokens");
            await Expect(page.GetByText("VS Code")).ToHaveCountAsync(0);
            await page.GoBackAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Generate token" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/settings/tokens$"));
            var token = (await page.Locator("#new-token").TextContentAsync())!.Trim();
            Assert.Matches("^lkp_[A-Za-z0-9]{36}$", token);

            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + token);
            using var me = await http.GetAsync("api/v3/user");
            Assert.Equal("repo, read:org, gist", string.Join(",", me.Headers.GetValues("X-OAuth-Scopes")));
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
