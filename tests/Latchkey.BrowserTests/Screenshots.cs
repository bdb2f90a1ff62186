using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Latchkey.BrowserTests;

/// <summary>docs/screenshots, written only with LATCHKEY_SCREENSHOTS=1 so test runs leave the tree clean.</summary>
internal sealed class Screenshots(ITestOutputHelper output)
{
    private readonly string? _directory = Environment.GetEnvironmentVariable("LATCHKEY_SCREENSHOTS") == "1"
        ? Latchkey.Tests.Support.SourceTree.PathOf("docs", "screenshots")
        : null;

    public async Task TakeAsync(IPage page, string file, bool fullPage = false)
    {
        if (_directory is null)
            return;
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, file);
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
        output.WriteLine("Screenshot: " + path);
    }
}
