using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// A fine-grained token made in a real browser, by the labels a person reads: one repository picked
/// through the search box, Contents set to Read and write, the token copied with the button and
/// pushed with.
/// </summary>
public sealed class FineGrainedTokenInTheBrowserTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery staple";

    [BrowserFact]
    public async Task Generate_a_token_for_one_chosen_repository_copy_it_and_push_with_it()
    {
        await using var server = await LatchkeyServer.StartAsync();
        await BrowserWalk.RunAsync(server, output, page => JourneyAsync(server, page, new Screenshots(output)), clipboard: true);
    }

    private static async Task JourneyAsync(LatchkeyServer server, IPage page, Screenshots shots)
    {
        var name = "hubot";
        var header = page.GetByRole(AriaRole.Banner);

        // Sign up, then make two private repositories: the token will reach only one of them.
        await page.GotoAsync("/signup");
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Email address").FillAsync($"{name}@example.test");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        foreach (var repository in new[] { "website", "wiki" })
        {
            await header.GetByRole(AriaRole.Link, new() { Name = "New repository" }).ClickAsync();
            await page.GetByLabel("Repository name").FillAsync(repository);
            await page.GetByLabel("Private", new() { Exact = true }).CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Create repository" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"/{name}/{repository}$"));
        }

        // Settings → Developer settings → Personal access tokens → Fine-grained tokens.
        await header.GetByAltText("@" + name).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Settings" }).ClickAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Personal settings" })
            .GetByRole(AriaRole.Link, new() { Name = "Developer settings" }).ClickAsync();
        var developerNav = page.GetByRole(AriaRole.Navigation, new() { Name = "Developer settings" });
        await developerNav.GetByRole(AriaRole.Link, new() { Name = "Personal access tokens", Exact = true }).ClickAsync();
        var fineGrained = developerNav.GetByRole(AriaRole.Link, new() { Name = "Fine-grained tokens" });
        await fineGrained.ClickAsync();
        await Expect(fineGrained).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Fine-grained personal access tokens", Exact = true })).ToBeVisibleAsync();

        // Generate new token.
        await page.GetByRole(AriaRole.Link, new() { Name = "Generate new token" }).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New fine-grained personal access token", Exact = true })).ToBeVisibleAsync();
        await page.GetByLabel("Token name").FillAsync("deploy website");
        await Expect(page.GetByLabel("Expiration", new() { Exact = true })).ToHaveValueAsync("30");
        var overview = page.Locator("#token-overview");
        await Expect(overview).ToContainTextAsync("Public repositories (read-only)");

        // Only select repositories: the picker appears; search, then tick the one repository.
        var search = page.GetByLabel("Search repositories");
        await Expect(search).ToBeHiddenAsync();
        await page.GetByLabel("Only select repositories").CheckAsync();
        await Expect(search).ToBeVisibleAsync();
        await Expect(overview).ToContainTextAsync("No repository selected yet");
        await search.FillAsync("webs");
        var wiki = page.GetByRole(AriaRole.Checkbox, new() { Name = $"{name}/wiki" });
        await Expect(wiki).ToBeHiddenAsync();
        await search.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New fine-grained personal access token", Exact = true })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = $"{name}/website" }).CheckAsync();
        await Expect(overview).ToContainTextAsync($"1 repository: {name}/website");

        // Contents: Read and write. Metadata stays Read-only and cannot be changed.
        await Expect(page.GetByLabel("Metadata", new() { Exact = true })).ToBeDisabledAsync();
        await Expect(overview).ToContainTextAsync("No access (Contents: No access)");
        await page.GetByLabel("Contents", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Read and write" });
        await Expect(overview).ToContainTextAsync("Contents: Read and write");
        await Expect(overview).ToContainTextAsync("Metadata: Read-only");
        await Expect(overview).ToContainTextAsync("Clone, fetch and push");
        await shots.TakeAsync(page, "07-fine-grained-new-token.png", fullPage: true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate token" }).ClickAsync();

        // Shown once, copied with the button.
        await Expect(page).ToHaveURLAsync(new Regex("/settings/personal-access-tokens$"));
        await Expect(page.GetByText("Make sure to copy your personal access token now. You won't be able to see it again!")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy token" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copied!" })).ToBeVisibleAsync();
        var token = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.StartsWith("lkf_", token, StringComparison.Ordinal);
        await Expect(page.GetByText("1 selected repository")).ToBeVisibleAsync();
        await shots.TakeAsync(page, "08-fine-grained-token-shown.png");
        await page.ReloadAsync();
        await Expect(page.GetByText(token)).ToHaveCountAsync(0);

        // The token pushes to the chosen repository; the other one does not exist for it.
        using var git = new GitClient();
        var website = server.Url($"/{name}/website.git");
        var local = await git.NewLocalRepositoryAsync("website");
        var push = await git.PushAsync(local, website, name, token);
        Assert.True(push.Succeeded, push.ToString());
        var other = await git.CloneAsync(server.Url($"/{name}/wiki.git"), "wiki", name, token);
        Assert.False(other.Succeeded, "The token cloned a repository it was not given:\n" + other);

        await page.GotoAsync($"/{name}/website");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "hello.txt", Exact = true })).ToBeVisibleAsync();
    }
}
