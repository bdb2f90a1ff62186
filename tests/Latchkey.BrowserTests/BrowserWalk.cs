using Latchkey.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// One walk through the site in Chromium, as a person at a 1280×800 window (en-US, UTC): afterwards no
/// browser error, no dialog (no script of anyone else's ran) and no 5xx may be left; a failure keeps a
/// full-page screenshot and names it.
/// </summary>
internal static class BrowserWalk
{
    public static async Task RunAsync(LatchkeyServer server, ITestOutputHelper output, Func<IPage, Task> walk, bool clipboard = false)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new()
        {
            BaseURL = server.BaseAddress.ToString(),
            Locale = "en-US",
            TimezoneId = "UTC",
            ViewportSize = new() { Width = 1280, Height = 800 },
        });
        if (clipboard)
            await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = server.BaseAddress.GetLeftPart(UriPartial.Authority) });
        context.SetDefaultTimeout(15_000);
        SetDefaultExpectTimeout(10_000);

        var page = await context.NewPageAsync();
        var browserErrors = new List<string>();
        var dialogs = new List<string>();
        page.PageError += (_, error) => browserErrors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            // The browser asks every server for /favicon.ico; Latchkey has none (yet), which is not a walk's concern.
            if (message.Type == "error" && !message.Location.EndsWith("/favicon.ico", StringComparison.Ordinal))
                browserErrors.Add($"console error on {page.Url}: {message.Text} ({message.Location})");
        };
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add($"{dialog.Type} on {page.Url}: {dialog.Message}");
            await dialog.DismissAsync();
        };

        try
        {
            await walk(page);
            Assert.True(dialogs.Count == 0, "A dialog opened:\n" + string.Join('\n', dialogs));
            Assert.True(browserErrors.Count == 0, "The browser reported errors:\n" + string.Join('\n', browserErrors));
            Assert.True(server.FiveHundreds.Count == 0, "Server errors:\n" + string.Join('\n', server.FiveHundreds));
        }
        catch (Exception)
        {
            var shot = Path.Combine(Directory.CreateTempSubdirectory("latchkey-browser-").FullName, "failure.png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
            output.WriteLine($"Failure screenshot ({page.Url}): {shot}");
            Console.WriteLine($"Failure screenshot ({page.Url}): {shot}");
            if (browserErrors.Count > 0)
                output.WriteLine("Browser errors:\n" + string.Join('\n', browserErrors));
            throw;
        }
    }
}
