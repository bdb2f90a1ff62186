using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Latchkey.BrowserTests;

/// <summary>
/// The web surface's defences as a real browser applies them: pushed HTML and SVG are shown as text and
/// never run, a README cannot smuggle script in, the Content-Security-Policy is enforced, and a session
/// that was signed out or revoked stays dead even when its cookie is replayed. Every page is watched:
/// a dialog, a request to /pwned, a page error or a console error (a CSP violation is one) fails the test.
/// Users, tokens and repositories are set up over HTTP and git; the browser is used for what only it can tell.
/// </summary>
public sealed class WebSurfaceSecurityInTheBrowserTests(ITestOutputHelper output)
{
    private const string Password = "browser surface passphrase";
    private const string Owner = "mona";

    // Each payload, should it ever run, leaves marks the watcher sees: a dialog, the title PWNED, a request to /pwned.
    private const string HtmlPayload =
        "<!DOCTYPE html>\n<html><head><title>x</title></head><body>\n<h1>Hello</h1>\n" +
        "<script>alert(1);document.title='PWNED';fetch('/pwned/html')</script>\n</body></html>\n";

    private const string SvgPayload =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1);document.title='PWNED';fetch('/pwned/svg-onload')\">" +
        "<script>alert(2);document.title='PWNED';fetch('/pwned/svg-script')</script></svg>\n";

    private const string ReadmePayload = """
        # Traps in a README

        Text before the traps.

        <img src=x onerror="document.title='PWNED';fetch('/pwned/img');alert(1)">

        <script>document.title='PWNED';fetch('/pwned/script');alert(1)</script>

        [click](javascript:alert(1))

        [shouting](JAVASCRIPT:alert(1))

        [entity](&#106;avascript:alert(1))

        [reference][trap]

        <javascript:alert(1)>

        [handler](https://example.invalid/){onclick="alert(1)" onmouseover="document.title='PWNED';fetch('/pwned/attribute')"}

        ## Focus {tabindex=0 autofocus onfocus="document.title='PWNED';fetch('/pwned/focus')"}

        [trap]: javascript:alert(1)

        """;

    [BrowserFact]
    public async Task Pushed_HTML_and_SVG_are_shown_as_text_raw_and_on_the_blob_page_and_never_run()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = await SignUpAndPushAsync(server, "pages", [("x.html", HtmlPayload), ("x.svg", SvgPayload)]);
        await using var browser = await WatchedBrowser.StartAsync(server, output);

        // The payloads are live: served with their own types somewhere that lets them, they run and are seen.
        await browser.AssertRunsWhereAllowedAsync(HtmlPayload, "text/html");
        await browser.AssertRunsWhereAllowedAsync(SvgPayload, "image/svg+xml");

        // On Latchkey, seen by the signed-in owner (the person a stored script would want to act as).
        var page = await browser.NewPageAsync(await browser.SignedInContextAsync(web));
        foreach (var (file, shown) in new[]
                 {
                     ("x.html", "<script>alert(1);document.title='PWNED';fetch('/pwned/html')</script>"),
                     ("x.svg", "<script>alert(2);document.title='PWNED';fetch('/pwned/svg-script')</script>"),
                 })
        {
            var raw = $"/{Owner}/pages/raw/main/{file}";
            var response = await browser.VisitAsync(page, raw);
            var headers = await response.AllHeadersAsync();
            Assert.StartsWith("text/plain", headers["content-type"], StringComparison.Ordinal);
            Assert.Equal("nosniff", headers["x-content-type-options"]);
            Assert.Contains("sandbox", headers["content-security-policy"], StringComparison.Ordinal);
            await AssertShownAsTextAsync(browser, page, shown);
            Assert.Equal("text/plain", await page.EvaluateAsync<string>("() => document.contentType"));

            await browser.VisitAsync(page, $"/{Owner}/pages/blob/main/{file}");
            await Expect(page.Locator("[data-blob-text]")).ToContainTextAsync(shown);
            await AssertShownAsTextAsync(browser, page, shown);

            // The blob page's own Raw button leads to the same inert text.
            await page.GetByRole(AriaRole.Link, new() { Name = "Raw", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(server.Url(raw));
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await AssertShownAsTextAsync(browser, page, shown);
        }

        browser.AssertClean();
    }

    [BrowserFact]
    public async Task A_README_with_raw_HTML_and_javascript_links_renders_and_nothing_in_it_runs()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = await SignUpAndPushAsync(server, "traps", [("README.md", ReadmePayload)]);
        await using var browser = await WatchedBrowser.StartAsync(server, output);
        var page = await browser.NewPageAsync(await browser.SignedInContextAsync(web));

        foreach (var (path, body) in new[]
                 {
                     ($"/{Owner}/traps", page.Locator("#readme .markdown-body")),
                     ($"/{Owner}/traps/blob/main/README.md", page.Locator(".markdown-body")),
                 })
        {
            // What was rendered is checked first, the console (where the browser reports what the CSP stopped) after.
            await WatchedBrowser.OpenAsync(page, path);
            await Expect(body.GetByRole(AriaRole.Heading, new() { Name = "Traps in a README" })).ToBeVisibleAsync();
            // Raw HTML is shown as the text it is.
            await Expect(body).ToContainTextAsync("<script>document.title='PWNED'");
            await Expect(body).ToContainTextAsync("<img src=x onerror=");

            var active = await body.EvaluateAsync<string[]>(
                "root => [...root.querySelectorAll('script, iframe, frame, object, embed, img[src=\"x\"]')].map(e => e.outerHTML)");
            Assert.True(active.Length == 0, $"{path}: the rendered README holds active elements: {string.Join(", ", active)}");
            var handlers = await body.EvaluateAsync<string[]>(
                "root => [...root.querySelectorAll('*')].flatMap(e => [...e.attributes]" +
                ".filter(a => a.name.toLowerCase().startsWith('on')).map(a => `<${e.localName} ${a.name}=\"${a.value}\">`))");
            Assert.True(handlers.Length == 0, $"{path}: the rendered README carries event handler attributes: {string.Join(", ", handlers)}");
            // As the browser resolves them (entities, case, whitespace and all): no link can run script.
            var targets = await body.EvaluateAsync<string[]>(
                "root => [...root.querySelectorAll('a[href]')].map(a => `${a.textContent.trim()} -> ${a.href}`)" +
                ".filter(t => !/ -> https?:/i.test(t))");
            Assert.True(targets.Length == 0, $"{path}: links that are not http(s): {string.Join(", ", targets)}");
            await browser.AssertNothingRanAsync(page, path);

            foreach (var name in new[] { "click", "shouting", "entity", "reference", "javascript:alert(1)" })
            {
                // The sanitiser may drop a script link's target altogether: then it is plain text, not a link.
                var link = body.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });
                if (await link.CountAsync() == 0)
                {
                    await Expect(body.GetByText(name, new() { Exact = true })).ToBeVisibleAsync();
                    continue;
                }
                await link.ClickAsync();
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                await browser.AssertNothingRanAsync(page, $"after clicking \"{name}\" on {path}");
            }
            await body.GetByRole(AriaRole.Link, new() { Name = "handler", Exact = true }).HoverAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await browser.AssertNothingRanAsync(page, $"after hovering \"handler\" on {path}");
        }

        browser.AssertClean();
    }

    [BrowserFact]
    public async Task The_browser_enforces_the_content_security_policy_on_every_page()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync(Owner, Password);
        await web.CreateRepositoryAsync("site", addReadme: true);
        await web.CreateTokenAsync("listed", ["repo"]);
        await using var browser = await WatchedBrowser.StartAsync(server, output);

        // The probe works: where no policy stops it, the injected script runs.
        var unprotected = await browser.NewPageAsync(await browser.NewContextAsync(bypassCsp: true));
        await browser.VisitAsync(unprotected, "/login");
        await unprotected.AddScriptTagAsync(new() { Content = "window.injected = 1" });
        Assert.Equal(1, await unprotected.EvaluateAsync<int>("() => window.injected"));

        var signedIn = await browser.NewPageAsync(await browser.SignedInContextAsync(web));
        var anonymous = await browser.NewPageAsync(await browser.NewContextAsync());
        var visits = new List<(IPage Page, string Path)>();
        foreach (var path in new[]
                 {
                     "/", $"/{Owner}", $"/{Owner}?tab=repositories", $"/{Owner}/site", $"/{Owner}/site/blob/main/README.md",
                     $"/{Owner}/site/settings", "/new", "/settings/profile", "/settings/security", "/settings/sessions",
                     "/settings/apps", "/settings/tokens", "/settings/tokens/new", "/settings/personal-access-tokens",
                 })
        {
            visits.Add((signedIn, path));
        }
        foreach (var path in new[] { "/", "/login", "/signup", $"/{Owner}", $"/{Owner}/site", "/no-such-user", $"/{Owner}/no-such-repo" })
            visits.Add((anonymous, path));

        foreach (var (page, path) in visits)
        {
            await browser.VisitAsync(page, path, path.Contains("no-such", StringComparison.Ordinal) ? 404 : 200);
            var violation = await browser.ExpectCspViolationAsync(page, () => page.AddScriptTagAsync(new() { Content = "window.injected = 1" }));
            Assert.Contains("script-src 'self'", violation, StringComparison.Ordinal);
            Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.injected"));
        }

        browser.AssertClean();
    }

    [BrowserFact]
    public async Task A_session_cookie_copied_before_signing_out_is_worthless_afterwards()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var web = server.NewBrowserSession())
            await web.SignUpAsync(Owner, Password);
        await using var browser = await WatchedBrowser.StartAsync(server, output);

        var contextA = await browser.NewContextAsync();
        var pageA = await browser.NewPageAsync(contextA);
        await SignInAsync(browser, pageA);
        var stolen = (await contextA.CookiesAsync()).Select(ToCookie).ToList();
        Assert.Contains(stolen, c => c.Name == "latchkey_session");

        // While the session lives, the copy is as good as the original.
        var before = await browser.NewPageAsync(await browser.NewContextAsync());
        await before.Context.AddCookiesAsync(stolen);
        await browser.VisitAsync(before, "/settings/tokens");
        await Expect(before).ToHaveURLAsync(server.Url("/settings/tokens"));

        var header = pageA.GetByRole(AriaRole.Banner);
        await header.GetByAltText("@" + Owner).ClickAsync();
        await pageA.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" }).ClickAsync();
        await Expect(header.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.DoesNotContain(await contextA.CookiesAsync(), c => c.Name == "latchkey_session");

        var contextB = await browser.NewContextAsync();
        await contextB.AddCookiesAsync(stolen);
        var pageB = await browser.NewPageAsync(contextB);
        await browser.VisitAsync(pageB, "/settings/tokens");
        await AssertOnSignInPageAsync(pageB);

        // The copy that was used before the sign-out is dead too.
        await browser.VisitAsync(before, "/settings/tokens");
        await AssertOnSignInPageAsync(before);

        browser.AssertClean();
    }

    [BrowserFact]
    public async Task Revoking_another_session_on_the_Sessions_page_signs_that_browser_out()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using (var web = server.NewBrowserSession())
            await web.SignUpAsync(Owner, Password);
        await using var browser = await WatchedBrowser.StartAsync(server, output);

        var pageA = await browser.NewPageAsync(await browser.NewContextAsync());
        await SignInAsync(browser, pageA);
        // The other device, told apart on the Sessions page by its user agent.
        var pageB = await browser.NewPageAsync(await browser.NewContextAsync(
            userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"));
        await SignInAsync(browser, pageB);
        await browser.VisitAsync(pageB, "/settings/tokens");
        await Expect(pageB).ToHaveURLAsync(server.Url("/settings/tokens"));

        await pageA.GetByRole(AriaRole.Banner).GetByAltText("@" + Owner).ClickAsync();
        await pageA.GetByRole(AriaRole.Menuitem, new() { Name = "Settings" }).ClickAsync();
        await pageA.GetByRole(AriaRole.Navigation, new() { Name = "Personal settings" })
            .GetByRole(AriaRole.Link, new() { Name = "Sessions" }).ClickAsync();
        await Expect(pageA.GetByRole(AriaRole.Heading, new() { Name = "Web sessions" })).ToBeVisibleAsync();
        var rows = pageA.Locator("[data-session-row]");
        var current = rows.Filter(new() { HasText = "Your current session" });
        await Expect(current).ToHaveCountAsync(1);
        await Expect(current).ToContainTextAsync("Chrome on Linux");
        await Expect(current.GetByRole(AriaRole.Button, new() { Name = "Revoke" })).ToHaveCountAsync(0);
        var other = rows.Filter(new() { HasText = "Chrome on Windows" });
        await Expect(other).ToHaveCountAsync(1);
        var sessionsBefore = await rows.CountAsync();

        await other.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(pageA.GetByRole(AriaRole.Status)).ToHaveTextAsync("Session revoked.");
        await Expect(other).ToHaveCountAsync(0);
        await Expect(rows).ToHaveCountAsync(sessionsBefore - 1);
        await pageA.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await browser.VisitAsync(pageB, "/settings/tokens");
        await AssertOnSignInPageAsync(pageB);
        await Expect(pageB.GetByRole(AriaRole.Banner).GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();

        // The browser that revoked it is still signed in.
        await browser.VisitAsync(pageA, "/settings/tokens");
        await Expect(pageA).ToHaveURLAsync(server.Url("/settings/tokens"));

        browser.AssertClean();
    }

    private static async Task<WebSession> SignUpAndPushAsync(LatchkeyServer server, string repo, IReadOnlyList<(string Path, string Content)> files)
    {
        var web = server.NewBrowserSession();
        try
        {
            await web.SignUpAsync(Owner, Password);
            await web.CreateRepositoryAsync(repo);
            var token = await web.CreateTokenAsync("push", ["repo"]);
            using var git = new GitClient();
            var url = server.Url($"/{Owner}/{repo}.git");
            var clone = await git.CloneAsync(url, repo, Owner, token);
            Assert.True(clone.Succeeded, clone.ToString());
            foreach (var (path, content) in files)
                await git.CommitFileAsync(repo, path, content, "Add " + path);
            var push = await git.PushAsync(Path.Combine(git.WorkDirectory, repo), url, Owner, token, "HEAD:main");
            Assert.True(push.Succeeded, push.ToString());
            return web;
        }
        catch
        {
            web.Dispose();
            throw;
        }
    }

    /// <summary>Signs in with the form, as a person does.</summary>
    private static async Task SignInAsync(WatchedBrowser browser, IPage page)
    {
        await browser.VisitAsync(page, "/login");
        await page.GetByLabel("Username or email address").FillAsync(Owner);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Banner).GetByAltText("@" + Owner)).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    private static async Task AssertOnSignInPageAsync(IPage page)
    {
        await Expect(page).ToHaveURLAsync(new Regex("/login(\\?|$)"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Latchkey" })).ToBeVisibleAsync();
    }

    /// <summary>The payload's own source is what a person sees, and none of it ran.</summary>
    private static async Task AssertShownAsTextAsync(WatchedBrowser browser, IPage page, string shown)
    {
        await Expect(page.GetByText(shown)).ToBeVisibleAsync();
        // No inline script element, no live SVG, and the blob box holds text only.
        Assert.Equal(0, await page.Locator("script:not([src]), body > svg, [data-blob-text] *").CountAsync());
        await browser.AssertNothingRanAsync(page, page.Url);
    }

    private static Cookie ToCookie(BrowserContextCookiesResult c) => new()
    {
        Name = c.Name,
        Value = c.Value,
        Domain = c.Domain,
        Path = c.Path,
        Expires = c.Expires > 0 ? c.Expires : null,
        HttpOnly = c.HttpOnly,
        Secure = c.Secure,
        SameSite = c.SameSite,
    };

    /// <summary>
    /// One browser and its contexts, each page watched: dialogs (dismissed and recorded), requests to
    /// /pwned, page errors and console errors all count as problems, except a CSP violation a test
    /// provokes on purpose through <see cref="ExpectCspViolationAsync"/>.
    /// </summary>
    private sealed class WatchedBrowser : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;
        private readonly LatchkeyServer _server;
        private readonly ITestOutputHelper _output;
        private readonly ConcurrentQueue<string> _problems = new();
        private readonly ConcurrentQueue<string> _visited = new();
        private readonly ConcurrentDictionary<IPage, bool> _watched = new();
        private volatile IPage? _provoking;

        private WatchedBrowser(IPlaywright playwright, IBrowser browser, LatchkeyServer server, ITestOutputHelper output)
        {
            _playwright = playwright;
            _browser = browser;
            _server = server;
            _output = output;
            SetDefaultExpectTimeout(10_000);
        }

        public static async Task<WatchedBrowser> StartAsync(LatchkeyServer server, ITestOutputHelper output)
        {
            var playwright = await Playwright.CreateAsync();
            try
            {
                return new WatchedBrowser(playwright, await Chromium.LaunchAsync(playwright), server, output);
            }
            catch
            {
                playwright.Dispose();
                throw;
            }
        }

        public async Task<IBrowserContext> NewContextAsync(string? userAgent = null, bool bypassCsp = false)
        {
            var context = await _browser.NewContextAsync(new()
            {
                BaseURL = _server.BaseAddress.ToString(),
                Locale = "en-US",
                TimezoneId = "UTC",
                ViewportSize = new() { Width = 1280, Height = 800 },
                UserAgent = userAgent,
                BypassCSP = bypassCsp,
            });
            context.SetDefaultTimeout(15_000);
            context.Page += (_, page) => Watch(page);
            context.Request += (_, request) =>
            {
                if (IsPwned(request.Url))
                    _problems.Enqueue($"script ran: it requested {request.Url}");
            };
            return context;
        }

        /// <summary>A context holding the cookies of a session signed in over HTTP (fast set-up, same session).</summary>
        public async Task<IBrowserContext> SignedInContextAsync(WebSession web)
        {
            var context = await NewContextAsync();
            var cookies = web.Cookies.GetCookies(_server.BaseAddress)
                .Select(c => new Cookie { Name = c.Name, Value = c.Value, Url = _server.BaseAddress.ToString(), HttpOnly = c.HttpOnly })
                .ToList();
            Assert.Contains(cookies, c => c.Name == "latchkey_session");
            await context.AddCookiesAsync(cookies);
            return context;
        }

        public async Task<IPage> NewPageAsync(IBrowserContext context)
        {
            var page = await context.NewPageAsync();
            Watch(page);
            return page;
        }

        /// <summary>Opens the path, checks the status, lets the page settle, and checks that nothing ran and nothing complained.</summary>
        public async Task<IResponse> VisitAsync(IPage page, string path, int status = 200)
        {
            var response = await OpenAsync(page, path, status);
            await AssertNothingRanAsync(page, path);
            return response;
        }

        /// <summary>Opens the path, checks the status and lets the page settle (no request in flight for 500 ms).</summary>
        public static async Task<IResponse> OpenAsync(IPage page, string path, int status = 200)
        {
            var response = await page.GotoAsync(path) ?? throw new InvalidOperationException($"No response for {path}");
            Assert.True(response.Status == status, $"{path} answered {response.Status}, not {status}");
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            return response;
        }

        public async Task AssertNothingRanAsync(IPage page, string where)
        {
            Assert.NotEqual("PWNED", await page.TitleAsync());
            AssertNoProblems(where);
        }

        public void AssertNoProblems(string where)
        {
            var problems = _problems.ToList();
            Assert.True(problems.Count == 0, $"{where}:\n" + string.Join('\n', problems));
        }

        /// <summary>At the end of a test: nothing ran, the console stayed clean, the server never failed.</summary>
        public void AssertClean()
        {
            AssertNoProblems("In the browser");
            Assert.True(_server.FiveHundreds.Count == 0, "Server errors:\n" + string.Join('\n', _server.FiveHundreds));
        }

        /// <summary>
        /// Runs an action the page's CSP must refuse: the browser reports the violation on the console (which is
        /// then not a problem) and Playwright's call fails with it. Returns the console report.
        /// </summary>
        public async Task<string> ExpectCspViolationAsync(IPage page, Func<Task> action)
        {
            _provoking = page;
            try
            {
                var reported = page.WaitForConsoleMessageAsync(new()
                {
                    Predicate = m => m.Type == "error" && IsCspViolation(m.Text),
                    Timeout = 5_000,
                });
                var refused = await Assert.ThrowsAsync<PlaywrightException>(action);
                Assert.True(IsCspViolation(refused.Message), "Refused for another reason than the CSP: " + refused.Message);
                return (await reported).Text;
            }
            finally
            {
                _provoking = null;
            }
        }

        /// <summary>The control: served with its own type from a page with no policy, the payload does run.</summary>
        public async Task AssertRunsWhereAllowedAsync(string payload, string contentType)
        {
            await using var context = await _browser.NewContextAsync();
            var page = await context.NewPageAsync();
            var dialogs = new ConcurrentQueue<string>();
            var pwned = new ConcurrentQueue<string>();
            page.Dialog += (_, dialog) =>
            {
                dialogs.Enqueue(dialog.Message);
                _ = dialog.DismissAsync();
            };
            await page.RouteAsync("http://control.test/**", route =>
            {
                if (IsPwned(route.Request.Url))
                {
                    pwned.Enqueue(route.Request.Url);
                    return route.FulfillAsync(new() { Status = 204 });
                }
                return route.FulfillAsync(new() { Status = 200, ContentType = contentType, Body = payload });
            });
            await page.GotoAsync("http://control.test/payload");
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            Assert.True(!dialogs.IsEmpty && !pwned.IsEmpty,
                $"The {contentType} payload did not run even unprotected (dialogs: {dialogs.Count}, /pwned requests: {pwned.Count}); the checks would prove nothing.");
        }

        private void Watch(IPage page)
        {
            if (!_watched.TryAdd(page, true))
                return;
            page.Dialog += (_, dialog) =>
            {
                _problems.Enqueue($"script ran: a {dialog.Type} dialog \"{dialog.Message}\" on {page.Url}");
                _ = dialog.DismissAsync();
            };
            page.PageError += (_, error) => _problems.Enqueue($"page error on {page.Url}: {error}");
            page.Console += (_, message) =>
            {
                if (message.Type != "error" || message.Location.EndsWith("/favicon.ico", StringComparison.Ordinal))
                    return;
                // The page's own status (a 404 page, say) is the test's to check, on the response.
                if (message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal) && message.Location == page.Url + ":0:0")
                    return;
                if (ReferenceEquals(_provoking, page) && IsCspViolation(message.Text))
                    return;
                _problems.Enqueue($"console error on {page.Url}: {message.Text} ({message.Location})");
            };
            page.FrameNavigated += (_, frame) =>
            {
                if (frame == page.MainFrame)
                    _visited.Enqueue(frame.Url);
            };
        }

        private static bool IsPwned(string url) => new Uri(url).AbsolutePath.StartsWith("/pwned", StringComparison.Ordinal);

        private static bool IsCspViolation(string text) => text.Contains("Content Security Policy", StringComparison.Ordinal);

        public async ValueTask DisposeAsync()
        {
            _output.WriteLine("Pages visited:\n" + string.Join('\n', _visited));
            if (!_problems.IsEmpty)
                _output.WriteLine("Browser problems:\n" + string.Join('\n', _problems));
            await _browser.CloseAsync();
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}
