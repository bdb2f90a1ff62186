using System.Globalization;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// The seed journey in a real browser, by the labels a person reads: sign in, open Settings from the
/// profile picture, generate a classic token, copy it with the button, then clone and push with it.
/// </summary>
public sealed class SeedJourneyInTheBrowserTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery staple";

    [BrowserFact]
    public async Task Sign_in_generate_a_classic_token_copy_it_and_push_a_commit_with_it()
    {
        await using var server = await LatchkeyServer.StartAsync();
        await BrowserWalk.RunAsync(server, output, page => JourneyAsync(server, page), clipboard: true);
    }

    private async Task JourneyAsync(LatchkeyServer server, IPage page)
    {
        var shots = new Screenshots(output);
        var name = "mona";
        var header = page.GetByRole(AriaRole.Banner);

        // A fresh server: sign up, sign out from the menu, then start the journey by signing in.
        await page.GotoAsync("/signup");
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Email address").FillAsync($"{name}@example.test");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await header.GetByAltText("@" + name).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" }).ClickAsync();
        await header.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();

        // 1. Sign in.
        await Expect(page).ToHaveURLAsync(new Regex("/login$"));
        await page.GetByLabel("Username or email address").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(Password);
        await AssertNoErrorBoxAsync(page);
        await shots.TakeAsync(page, "01-sign-in.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // 2. The profile picture top right opens the menu; Settings.
        var avatar = header.GetByAltText("@" + name);
        await avatar.ClickAsync();
        var settings = page.GetByRole(AriaRole.Menuitem, new() { Name = "Settings" });
        await Expect(settings).ToBeVisibleAsync();
        await Expect(page.GetByText("Signed in as " + name)).ToBeVisibleAsync();
        await shots.TakeAsync(page, "02-profile-menu.png");
        await settings.ClickAsync();

        // 3. Developer settings → Personal access tokens → Tokens (classic).
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Personal settings" })
            .GetByRole(AriaRole.Link, new() { Name = "Developer settings" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Developer settings" })).ToBeVisibleAsync();
        var developerNav = page.GetByRole(AriaRole.Navigation, new() { Name = "Developer settings" });
        await developerNav.GetByRole(AriaRole.Link, new() { Name = "Personal access tokens", Exact = true }).ClickAsync();
        var classic = developerNav.GetByRole(AriaRole.Link, new() { Name = "Tokens (classic)" });
        await classic.ClickAsync();
        await Expect(classic).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Personal access tokens (classic)" })).ToBeVisibleAsync();

        // 4. Generate new token → Generate new token (classic).
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate new token" }).ClickAsync();
        var generateClassic = page.GetByRole(AriaRole.Menuitem, new() { Name = "Generate new token (classic)" });
        await Expect(generateClassic).ToBeVisibleAsync();
        await shots.TakeAsync(page, "03-developer-settings.png");
        await generateClassic.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New personal access token (classic)" })).ToBeVisibleAsync();

        await page.GetByLabel("Note", new() { Exact = true }).FillAsync("laptop");
        await AssertNoErrorBoxAsync(page);
        var expiration = page.GetByLabel("Expiration", new() { Exact = true });
        var expiryLine = page.GetByText("The token will expire on");
        await expiration.SelectOptionAsync(new SelectOptionValue { Label = "7 days" });
        await Expect(expiryLine).ToBeVisibleAsync();
        await Expect(expiryLine).ToHaveTextAsync(ExpiresIn(7));

        var noExpiryWarning = page.GetByText("Latchkey strongly recommends that you set an expiration date for your token");
        await Expect(noExpiryWarning).ToBeHiddenAsync();
        await expiration.SelectOptionAsync(new SelectOptionValue { Label = "No expiration" });
        await Expect(noExpiryWarning).ToBeVisibleAsync();
        await Expect(page.GetByText("The token will never expire!")).ToBeVisibleAsync();
        await expiration.SelectOptionAsync(new SelectOptionValue { Label = "30 days" });
        await Expect(noExpiryWarning).ToBeHiddenAsync();
        await Expect(expiryLine).ToHaveTextAsync(ExpiresIn(30));

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "repo", Exact = true }).CheckAsync();
        foreach (var child in new[] { "repo:status", "public_repo", "repo:invite" })
        {
            var box = page.GetByRole(AriaRole.Checkbox, new() { Name = child, Exact = true });
            await Expect(box).ToBeCheckedAsync();
            await Expect(box).ToBeDisabledAsync();
        }
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "delete_repo", Exact = true })).Not.ToBeCheckedAsync();
        await shots.TakeAsync(page, "04-new-token.png", fullPage: true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate token" }).ClickAsync();

        // 5. The token is shown once; the copy button puts it on the clipboard.
        await Expect(page).ToHaveURLAsync(new Regex("/settings/tokens$"));
        await Expect(page.GetByText("Make sure to copy your personal access token now. You won't be able to see it again!")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy token" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copied!" })).ToBeVisibleAsync();
        var token = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.StartsWith("lkp_", token, StringComparison.Ordinal);
        await Expect(page.GetByText(token, new() { Exact = true })).ToBeVisibleAsync();
        await shots.TakeAsync(page, "05-token-shown.png");

        // 6. Reloading: the token is gone for good, the token itself is listed.
        await page.ReloadAsync();
        await Expect(page.GetByText(token)).ToHaveCountAsync(0);
        await Expect(page.GetByText("Make sure to copy your personal access token now.")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy token" })).ToHaveCountAsync(0);
        await Expect(page.GetByText("laptop", new() { Exact = true })).ToBeVisibleAsync();

        // 7. A repository from the "+" in the header; clone, commit and push with the copied token.
        await header.GetByRole(AriaRole.Link, new() { Name = "New repository" }).ClickAsync();
        await page.GetByLabel("Repository name").FillAsync("hello-world");
        await page.GetByLabel("Public", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create repository" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/{name}/hello-world$"));
        await Expect(page.GetByText("Quick setup")).ToBeVisibleAsync();
        var cloneUrl = await page.GetByRole(AriaRole.Textbox, new() { Name = "Clone URL", Exact = true }).InputValueAsync();
        Assert.Equal(server.Url($"/{name}/hello-world.git"), cloneUrl);

        using var git = new GitClient();
        var clone = await git.CloneAsync(cloneUrl, "hello-world", name, token);
        Assert.True(clone.Succeeded, clone.ToString());
        await git.CommitFileAsync("hello-world", "README.md", "# Hello from the browser journey\n\nPushed with a copied token.\n", "First commit with a copied token");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "hello-world"), cloneUrl, name, token, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());

        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "README.md", Exact = true })).ToBeVisibleAsync();
        // The latest commit sits above the files, and beside README.md, the file it changed.
        await Expect(page.Locator("[data-last-commit]")).ToHaveTextAsync("First commit with a copied token");
        await Expect(page.Locator("[data-entry-commit]")).ToHaveTextAsync(["First commit with a copied token"]);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello from the browser journey" })).ToBeVisibleAsync();
        await shots.TakeAsync(page, "06-pushed.png", fullPage: true);
    }

    /// <summary>A form that was not sent yet shows no error box (not even an empty one).</summary>
    private static async Task AssertNoErrorBoxAsync(IPage page)
    {
        var alerts = page.GetByRole(AriaRole.Alert);
        var count = await alerts.CountAsync();
        Assert.True(count == 0, $"{page.Url}: an untouched form shows {count} visible alert box(es) " +
            $"with text [{string.Join(" | ", await alerts.AllInnerTextsAsync())}] (an empty validation summary left visible?)");
    }

    /// <summary>"The token will expire on Thu, Jun 5, 2025" (the browser's en-US date, UTC), tolerating a midnight in between.</summary>
    private static Regex ExpiresIn(int days)
    {
        static string Day(DateTime d) =>
            Regex.Escape(d.ToString("ddd, MMM d", CultureInfo.InvariantCulture)) + ",? " + d.Year.ToString(CultureInfo.InvariantCulture);
        var now = DateTime.UtcNow;
        return new Regex($"^The token will expire on ({Day(now.AddDays(days))}|{Day(now.AddDays(days).AddHours(-1))}|{Day(now.AddDays(days).AddHours(1))})$");
    }
}
