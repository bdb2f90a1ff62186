using System.Net;
using System.Net.Sockets;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Headers, caching, CSP, GET safety and the password policy, seen from outside over HTTP.</summary>
public sealed class WebSurfaceSecurityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "surface test passphrase";
    private LatchkeyServer Server => fixture.Server;

    [Fact]
    public async Task Every_page_carries_the_content_security_policy_and_every_response_nosniff()
    {
        var name = fixture.NewUsername("headers");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("site", addReadme: true);

        foreach (var path in new[] { "/", "/settings/profile", "/settings/tokens", "/settings/tokens/new", "/settings/sessions",
                     "/settings/security", "/new", $"/{name}", $"/{name}/site", $"/{name}/site/blob/main/README.md", "/no-such-user", "/error" })
        {
            using var response = await web.Http.GetAsync(path.TrimStart('/'));
            Assert.True(response.Content.Headers.ContentType?.MediaType == "text/html", $"{path}: {response.Content.Headers.ContentType}");
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("base-uri 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
            var html = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
            Assert.DoesNotContain(" style=\"", html, StringComparison.Ordinal);
        }

        foreach (var path in new[] { "/lib/primer.css", "/js/latchkey.js", "/avatars/u/1", $"/{name}/site.git/info/refs?service=git-upload-pack", $"/{name}/site/raw/main/README.md" })
        {
            using var response = await web.Http.GetAsync(path.TrimStart('/'));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Fact]
    public async Task Pages_that_show_tokens_or_settings_are_never_cached()
    {
        var name = fixture.NewUsername("cache");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        foreach (var path in new[] { "/settings/tokens", "/settings/tokens/new", "/settings/profile", "/settings/sessions" })
        {
            using var response = await web.Http.GetAsync(path.TrimStart('/'));
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }
        using var anonymous = Server.NewBrowserSession();
        foreach (var path in new[] { "/login", "/signup" })
        {
            using var response = await anonymous.Http.GetAsync(path.TrimStart('/'));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.Contains("default-src 'self'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Raw_files_are_served_as_sandboxed_plain_text()
    {
        var name = fixture.NewUsername("raw");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("pages");
        var token = await web.CreateTokenAsync("push", ["repo"]);
        using var git = new GitClient();
        var url = Server.Url($"/{name}/pages.git");
        Assert.True((await git.CloneAsync(url, "pages", name, token)).Succeeded);
        await git.CommitFileAsync("pages", "x.html", "<html><script>alert(1)</script></html>\n", "Add a page");
        Assert.True((await git.PushAsync(Path.Combine(git.WorkDirectory, "pages"), url, name, token, "HEAD:main")).Succeeded);

        using var response = await web.Http.GetAsync($"{name}/pages/raw/main/x.html");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("sandbox", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("<html><script>alert(1)</script></html>\n", await response.Content.ReadAsStringAsync());

        using var anonymous = Server.NewBrowserSession();
        await web.CreateRepositoryAsync("secret", isPrivate: true, addReadme: true);
        var (hidden, _) = await anonymous.GetAsync($"/{name}/secret/raw/main/README.md");
        Assert.Equal(HttpStatusCode.NotFound, hidden);
    }

    [Fact]
    public async Task Tokens_are_never_accepted_in_the_query_string()
    {
        var name = fixture.NewUsername("query");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("hidden", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("q", ["repo"]);
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        foreach (var parameter in new[] { "access_token", "token", "private_token" })
        {
            using var response = await http.GetAsync($"{name}/hidden.git/info/refs?service=git-upload-pack&{parameter}={token}");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        // Nor does a token sent that way end up in the server's logs.
        Assert.DoesNotContain(token[4..], Server.AllLogs, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("TRACK")]
    public async Task Trace_is_not_answered(string method)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), "login");
        request.Headers.Add("Cookie", "latchkey_session=secret-looking-value");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.DoesNotContain("secret-looking-value", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task A_GET_never_changes_state()
    {
        var name = fixture.NewUsername("safe");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateTokenAsync("keep me", ["repo"]);
        var (_, list) = await web.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(list, "id=\"token-(\\d+)\"").Groups[1].Value;

        await web.GetAsync($"/settings/tokens?handler=Delete&id={id}");
        await web.GetAsync("/logout");
        var (status, after) = await web.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("keep me", after, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> RefusedPasswords => new()
    {
        { "pw-short", "seven77", "Password is too short" },
        { "pw-common", "password123", "most commonly used passwords" },
        { "pw-common2", "qwertyuiop", "most commonly used passwords" },
        { "pw-site", "latchkeylatchkey", "can't be your username, email or the site name" },
        { "alicealice", "alicealice", "can't be your username, email or the site name" },
    };

    [Theory]
    [MemberData(nameof(RefusedPasswords))]
    public async Task Weak_passwords_are_refused_at_sign_up_with_a_reason(string username, string password, string reason)
    {
        using var web = Server.NewBrowserSession();
        using var response = await web.PostFormAsync("/signup",
            [new("Input.Username", username), new("Input.Email", $"{username}@example.test"), new("Input.Password", password)]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(reason, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_passwords_and_passwords_with_spaces_work_exactly_as_typed()
    {
        var name = fixture.NewUsername("long");
        var longPassword = string.Concat(Enumerable.Range(0, 128).Select(i => (char)('a' + (i * 7 % 26))));
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(name, longPassword);
        using (var again = Server.NewBrowserSession())
            await again.SignInAsync(name, longPassword);
        using (var truncated = Server.NewBrowserSession())
        {
            using var refused = await truncated.PostFormAsync("/login", [new("Input.Login", name), new("Input.Password", longPassword[..127])]);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        }

        var spaced = fixture.NewUsername("spaced");
        const string Spaced = " Pässwort 🙂 with spaces ";
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(spaced, Spaced);
        foreach (var variant in new[] { Spaced.Trim(), Spaced.ToUpperInvariant() })
        {
            using var other = Server.NewBrowserSession();
            using var refused = await other.PostFormAsync("/login", [new("Input.Login", spaced), new("Input.Password", variant)]);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        }
        using var exact = Server.NewBrowserSession();
        await exact.SignInAsync(spaced, Spaced);
    }
}

/// <summary>The same server behind HTTPS: cookies bound to the origin, HSTS, and no credentials over plain HTTP.</summary>
public sealed class HttpsDeploymentTests : IAsyncLifetime
{
    private LatchkeyServer? _server;
    private string _https = "";
    private string _http = "";
    private string _certificateDirectory = "";

    public async Task InitializeAsync()
    {
        _certificateDirectory = Directory.CreateTempSubdirectory("latchkey-cert-").FullName;
        var pfx = await TestCertificate.WritePfxAsync(_certificateDirectory, "test");
        _https = $"https://127.0.0.1:{FreePort()}";
        _http = $"http://127.0.0.1:{FreePort()}";
        _server = await LatchkeyServer.StartAsync(new Dictionary<string, string>
        {
            ["Latchkey:PublicUrl"] = _https,
            ["Kestrel:Certificates:Default:Path"] = pfx,
            ["Kestrel:Certificates:Default:Password"] = "test",
        }, $"{_https};{_http}");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        Directory.Delete(_certificateDirectory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static HttpClient Client(string baseAddress, CookieContainer? cookies = null) =>
        new(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = cookies ?? new CookieContainer(),
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        })
        { BaseAddress = new Uri(baseAddress + "/") };

    [Fact]
    public async Task Cookies_are_host_prefixed_secure_and_scoped_to_the_origin()
    {
        using var http = Client(_https);
        using var page = await http.GetAsync("signup");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("max-age=31536000", page.Headers.GetValues("Strict-Transport-Security").Single());
        var html = await page.Content.ReadAsStringAsync();
        var antiforgery = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        using var signUp = await http.PostAsync("signup", new FormUrlEncodedContent(
        [
            new("Input.Username", "secure"), new("Input.Email", "secure@example.test"), new("Input.Password", "a secure long passphrase"),
            new("__RequestVerificationToken", WebUtility.HtmlDecode(antiforgery)),
        ]));
        Assert.Equal(HttpStatusCode.Redirect, signUp.StatusCode);

        var setCookies = page.Headers.GetValues("Set-Cookie").Concat(signUp.Headers.GetValues("Set-Cookie")).ToList();
        Assert.Contains(setCookies, c => c.StartsWith("__Host-latchkey_session=", StringComparison.Ordinal));
        Assert.Contains(setCookies, c => c.StartsWith("__Host-latchkey_csrf=", StringComparison.Ordinal));
        foreach (var cookie in setCookies)
        {
            Assert.StartsWith("__Host-", cookie, StringComparison.Ordinal);
            Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; path=/", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Contains(setCookies, c => c.StartsWith("__Host-latchkey_csrf=", StringComparison.Ordinal) && c.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(setCookies, c => c.StartsWith("__Host-latchkey_session=", StringComparison.Ordinal) && c.Contains("samesite=lax", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Plain_HTTP_pages_redirect_to_HTTPS_but_git_and_the_API_are_refused()
    {
        using var http = Client(_http);
        using var page = await http.GetAsync("login?next=1");
        Assert.Equal(HttpStatusCode.PermanentRedirect, page.StatusCode);
        Assert.Equal($"{_https}/login?next=1", page.Headers.Location?.ToString());

        foreach (var path in new[] { "someone/repo.git/info/refs?service=git-upload-pack", "api/v3/user", "someone/repo/archive/refs/heads/main.tar.gz" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer lkp_" + new string('0', 36));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("HTTPS is required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Empty(_server!.FiveHundreds);
    }
}
