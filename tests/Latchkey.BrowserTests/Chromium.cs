using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace Latchkey.BrowserTests;

/// <summary>
/// The system's Chromium (Debian's /usr/bin/chromium), driven by Playwright. Never a downloaded browser.
/// </summary>
public static class Chromium
{
    /// <summary>LATCHKEY_CHROMIUM overrides the path (handy to check the skip path); default /usr/bin/chromium.</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("LATCHKEY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>In CI (LATCHKEY_REQUIRE_ALL=1) a missing browser is a failure, not a skip.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("LATCHKEY_REQUIRE_ALL") == "1";

    public static BrowserTypeLaunchOptions LaunchOptions => new()
    {
        ExecutablePath = ExecutablePath,
        Headless = true,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ],
    };

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why the browser cannot be used here, or null when Playwright can start it (probed once).</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException(MissingMessage);
        try
        {
            return await playwright.Chromium.LaunchAsync(LaunchOptions);
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"Playwright could not start {ExecutablePath}: {e.Message}", e);
        }
    }

    private static string MissingMessage =>
        $"{ExecutablePath} not found; install it with `apt-get install -y chromium` (no `playwright install`: the system browser is used).";

    private static string? Probe()
    {
        if (!File.Exists(ExecutablePath))
            return MissingMessage;
        try
        {
            using var playwright = Playwright.CreateAsync().GetAwaiter().GetResult();
            var browser = playwright.Chromium.LaunchAsync(LaunchOptions).GetAwaiter().GetResult();
            browser.CloseAsync().GetAwaiter().GetResult();
            return null;
        }
        catch (PlaywrightException e)
        {
            return $"Playwright could not start {ExecutablePath}: {e.Message.Split('\n')[0]}";
        }
    }
}

/// <summary>
/// A fact that needs the browser: skipped with the reason when Chromium is missing or will not start,
/// unless LATCHKEY_REQUIRE_ALL=1, when it runs and fails with that reason instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute([CallerMemberName] string test = "")
    {
        if (!Chromium.Required && Chromium.WhyUnavailable is { } reason)
        {
            Skip = $"Browser test skipped: {reason.TrimEnd('.')}. Set LATCHKEY_REQUIRE_ALL=1 to make this a failure.";
            // The display name is what `dotnet test` prints for a skipped test at its default verbosity.
            DisplayName = $"{test} [{Skip}]";
        }
    }
}
