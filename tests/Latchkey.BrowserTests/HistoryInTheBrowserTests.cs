using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// What a person sees after pushing with a token, walked in a real browser by the links on each page:
/// the history of main, one commit's diff, the blame of a file, the same file on another branch through
/// the switcher, and the comparison of the two branches.
/// </summary>
public sealed class HistoryInTheBrowserTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery staple";

    [BrowserFact]
    public async Task Push_three_commits_then_read_history_a_diff_blame_another_branch_and_a_comparison()
    {
        await using var server = await LatchkeyServer.StartAsync();

        // Three commits on main and one more on feature/x, pushed over HTTP with the token as password.
        using var project = await HistoryProject.CreateAsync(server, "mona", Password);
        var first = await project.HeadAsync();
        var second = await project.CommitAsync("hello.txt", "hello from log-mona\ngoodbye <b>for now</b>\n", "Say goodbye too");
        var third = await project.CommitAsync("notes.md", "# Notes\n", "Add notes");
        await project.PushAsync();
        await project.GitAsync("checkout", "--quiet", "-b", "feature/x");
        var feature = await project.CommitAsync("hello.txt", "hello from the feature\ngoodbye <b>for now</b>\n", "Greet from the feature");
        await project.PushAsync("feature/x");

        await BrowserWalk.RunAsync(server, output, page => WalkAsync(page, first, second, third, feature));
    }

    private async Task WalkAsync(IPage page, string first, string second, string third, string feature)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Username or email address").FillAsync("mona");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GotoAsync("/mona/log");

        // The code view counts the commits; its link is main's history, newest first.
        var count = page.Locator("[data-commit-count]");
        await Expect(count).ToContainTextAsync("3 commits");
        await count.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/mona/log/commits/main$"));
        var rows = page.Locator("[data-commit]");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Locator("[data-commit-subject]")).ToHaveTextAsync(["Add notes", "Say goodbye too", "Add hello.txt"]);
        await Expect(page.Locator($"[data-commit='{third}']")).ToBeVisibleAsync();

        // One commit: its message as text, its diff with line numbers, the added line escaped.
        await rows.Nth(1).GetByRole(AriaRole.Link, new() { Name = "Say goodbye too" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/mona/log/commit/{second}$"));
        await Expect(page.Locator("[data-commit-title]")).ToHaveTextAsync("Say goodbye too");
        await Expect(page.Locator("[data-commit-parents]")).ToContainTextAsync(first[..7]);
        await Expect(page.Locator("[data-diff-summary]")).ToHaveTextAsync("Showing 1 changed file with 1 addition and 0 deletions.");
        var file = page.Locator("[data-diff-file='hello.txt']");
        var added = file.Locator("tr[data-line='+']");
        await Expect(added).ToHaveCountAsync(1);
        await Expect(added.Locator("[data-new-line]")).ToHaveTextAsync("2");
        await Expect(added.Locator(".blob-code")).ToHaveTextAsync("+goodbye <b>for now</b>");
        await Expect(page.Locator("[data-diff-table] b")).ToHaveCountAsync(0);
        await new Screenshots(output).TakeAsync(page, "09-commit.png");

        // Blame from the file's page: each line beside the commit that wrote it.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Repository" }).GetByRole(AriaRole.Link, new() { Name = "Code" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "hello.txt", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/mona/log/blob/main/hello.txt$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Blame" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/mona/log/blame/main/hello.txt$"));
        await Expect(page.Locator($"[data-blame-commit='{first}'] [data-blame-line='1']")).ToHaveTextAsync("hello from log-mona");
        await Expect(page.Locator($"[data-blame-commit='{second}'] [data-blame-line='2']")).ToHaveTextAsync("goodbye <b>for now</b>");
        await Expect(page.Locator($"[data-blame-commit='{second}']")).ToContainTextAsync("Say goodbye too");
        await Expect(page.Locator("[data-blame-line] b")).ToHaveCountAsync(0);

        // The switcher lists the other branch and opens the same blame there.
        await page.GetByTitle("Switch branches or tags").ClickAsync();
        var other = page.GetByRole(AriaRole.Menuitemradio, new() { Name = "feature/x" });
        await Expect(other).ToHaveAttributeAsync("aria-checked", "false");
        await Expect(page.GetByRole(AriaRole.Menuitemradio, new() { Name = "main default" })).ToHaveAttributeAsync("aria-checked", "true");
        await other.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/mona/log/blame/feature/x/hello.txt$"));
        await Expect(page.Locator("[data-current-ref]")).ToHaveTextAsync("feature/x");
        await Expect(page.Locator($"[data-blame-commit='{feature}'] [data-blame-line='1']")).ToHaveTextAsync("hello from the feature");
        await Expect(page.Locator($"[data-blame-commit='{second}'] [data-blame-line='2']")).ToHaveTextAsync("goodbye <b>for now</b>");

        // All branches, then compare feature/x with main: the one commit main lacks and its diff.
        await page.GetByTitle("Switch branches or tags").ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "View all branches" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/mona/log/branches$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Compare feature/x with main" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/mona/log/compare/main\\.\\.\\.feature/x$"));
        await Expect(page.Locator("[data-compare-commits]")).ToHaveTextAsync("1 commit");
        await Expect(page.Locator("[data-commit] [data-commit-subject]")).ToHaveTextAsync(["Greet from the feature"]);
        var changed = page.Locator("[data-diff-file='hello.txt']");
        await Expect(changed.Locator("tr[data-line='-'] .blob-code")).ToHaveTextAsync("-hello from log-mona");
        await Expect(changed.Locator("tr[data-line='+'] .blob-code")).ToHaveTextAsync("+hello from the feature");
        await Expect(page.Locator("[data-diff-file='notes.md']")).ToHaveCountAsync(0);
    }
}
