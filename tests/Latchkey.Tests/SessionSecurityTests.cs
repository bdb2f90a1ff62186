using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Sessions live on the server: sign-out, password changes and revocation end them at once.</summary>
public sealed class SessionSecurityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "session test passphrase";
    private LatchkeyServer Server => fixture.Server;

    private string SessionCookie(WebSession web) =>
        web.Cookies.GetCookies(Server.BaseAddress)["latchkey_session"]?.Value ?? throw new InvalidOperationException("No session cookie.");

    /// <summary>A client that sends only the given cookie, as an attacker replaying a copied cookie would.</summary>
    private async Task<HttpStatusCode> ReplayAsync(string cookie, string path = "settings/tokens")
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", "latchkey_session=" + cookie);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_copied_cookie_is_refused_after_sign_out()
    {
        var name = fixture.NewUsername("replay");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var copied = SessionCookie(web);
        Assert.Equal(HttpStatusCode.OK, await ReplayAsync(copied));

        using (var signOut = await web.PostFormAsync("/", [], "/logout"))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
            Assert.Equal("\"cache\", \"cookies\", \"storage\"", string.Join(", ", signOut.Headers.GetValues("Clear-Site-Data")));
        }
        Assert.Equal(HttpStatusCode.Redirect, await ReplayAsync(copied));
    }

    [Fact]
    public async Task A_tampered_cookie_is_refused_without_an_error()
    {
        var name = fixture.NewUsername("tamper");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var cookie = SessionCookie(web);
        var flipped = cookie[..10] + (cookie[10] == 'A' ? 'B' : 'A') + cookie[11..];
        Assert.Equal(HttpStatusCode.Redirect, await ReplayAsync(flipped));
    }

    [Fact]
    public async Task Every_sign_in_gets_a_fresh_session()
    {
        var name = fixture.NewUsername("fresh");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(name, Password);
        using var first = Server.NewBrowserSession();
        await first.SignInAsync(name, Password);
        using var second = Server.NewBrowserSession();
        await second.SignInAsync(name, Password);
        Assert.NotEqual(SessionCookie(first), SessionCookie(second));

    }

    [Fact]
    public async Task A_session_cookie_planted_before_sign_in_does_not_become_the_victims_session()
    {
        var attacker = fixture.NewUsername("mallory");
        var victim = fixture.NewUsername("victim");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(victim, Password);
        using var attackerBrowser = Server.NewBrowserSession();
        await attackerBrowser.SignUpAsync(attacker, Password);
        var planted = SessionCookie(attackerBrowser);

        // The victim loads the sign-in form, the attacker's cookie is slipped into their browser,
        // then the victim signs in.
        using var victimBrowser = Server.NewBrowserSession();
        var (_, form) = await victimBrowser.GetAsync("/login");
        var antiforgery = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        victimBrowser.Cookies.Add(Server.BaseAddress, new Cookie("latchkey_session", planted));
        using (var signIn = await victimBrowser.Http.PostAsync("login", new FormUrlEncodedContent(
            [new("Input.Login", victim), new("Input.Password", Password), new("__RequestVerificationToken", WebUtility.HtmlDecode(antiforgery))])))
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

        Assert.NotEqual(planted, SessionCookie(victimBrowser));
        var (_, asVictim) = await victimBrowser.GetAsync("/");
        Assert.Contains($"alt=\"@{victim}\"", asVictim, StringComparison.Ordinal);
        // The planted cookie still names the attacker's own session, not the victim's.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "");
        request.Headers.Add("Cookie", "latchkey_session=" + planted);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain($"alt=\"@{victim}\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_are_listed_and_a_revoked_one_is_signed_out()
    {
        var name = fixture.NewUsername("lister");
        using var laptop = Server.NewBrowserSession();
        laptop.Http.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36");
        await laptop.SignUpAsync(name, Password);
        using var phone = Server.NewBrowserSession();
        phone.Http.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1");
        await phone.SignInAsync(name, Password);

        var (_, page) = await laptop.GetAsync("/settings/sessions");
        Assert.Contains("Chrome on Linux", page, StringComparison.Ordinal);
        Assert.Contains("Safari on iOS", page, StringComparison.Ordinal);
        Assert.Contains("Your current session", page, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", page, StringComparison.Ordinal);

        var phoneSession = System.Text.RegularExpressions.Regex.Match(page, "name=\"id\" value=\"([^\"]+)\"").Groups[1].Value;
        using (var revoke = await laptop.PostFormAsync("/settings/sessions", [new("id", phoneSession)], "/settings/sessions?handler=Revoke"))
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        var (phoneStatus, _) = await phone.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.Redirect, phoneStatus);
        var (laptopStatus, _) = await laptop.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.OK, laptopStatus);
    }

    [Fact]
    public async Task Changing_the_password_needs_the_old_one_and_signs_out_other_sessions()
    {
        var name = fixture.NewUsername("changer");
        using var a = Server.NewBrowserSession();
        await a.SignUpAsync(name, Password);
        using var b = Server.NewBrowserSession();
        await b.SignInAsync(name, Password);
        const string NewPassword = "an entirely new passphrase";

        using (var wrong = await a.PostFormAsync("/settings/security",
            [new("Input.OldPassword", "not my password"), new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
            Assert.Contains("Old password isn't valid.", WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }
        var (stillIn, _) = await b.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.OK, stillIn);

        var beforeChange = SessionCookie(a);
        using (var changed = await a.PostFormAsync("/settings/security",
            [new("Input.OldPassword", Password), new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)]))
        {
            Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
            Assert.Equal("/login?changed=true", changed.Headers.Location?.OriginalString);
        }

        // This browser signs in again with the new password and gets a fresh session; the old cookie is dead.
        var (_, loginPage) = await a.GetAsync("/login?changed=true");
        Assert.Contains("Your password was changed. Sign in with your new password.", loginPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, await ReplayAsync(beforeChange));
        await a.SignInAsync(name, NewPassword);
        Assert.NotEqual(beforeChange, SessionCookie(a));
        var (bStatus, _) = await b.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.Redirect, bStatus);

        using var withNew = Server.NewBrowserSession();
        await withNew.SignInAsync(name, NewPassword);
        using var withOld = Server.NewBrowserSession();
        using var refused = await withOld.PostFormAsync("/login", [new("Input.Login", name), new("Input.Password", Password)]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
    }

    [Fact]
    public async Task An_older_weaker_password_hash_is_upgraded_at_the_next_sign_in()
    {
        var name = fixture.NewUsername("legacy");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(name, Password);
        var weak = new Microsoft.AspNetCore.Identity.PasswordHasher<Latchkey.Accounts.User>(
            Microsoft.Extensions.Options.Options.Create(new Microsoft.AspNetCore.Identity.PasswordHasherOptions { IterationCount = 100_000 }));
        await SetPasswordHashAsync(name, weak.HashPassword(new Latchkey.Accounts.User(), Password));
        Assert.Equal(100_000u, IterationsOf(await PasswordHashAsync(name)));

        using (var again = Server.NewBrowserSession())
            await again.SignInAsync(name, Password);
        Assert.True(IterationsOf(await PasswordHashAsync(name)) >= 210_000);
    }

    private async Task<byte[]> PasswordHashAsync(string name)
    {
        var hash = await TestDatabase.ExecuteAsync(Server.DataDirectory, "SELECT \"PasswordHash\" FROM \"AspNetUsers\" WHERE \"UserName\" = @name", ("name", name));
        return Convert.FromBase64String((string)hash!);
    }

    private async Task SetPasswordHashAsync(string name, string hash)
    {
        Assert.Equal(1, await TestDatabase.ExecuteAsync(Server.DataDirectory, "UPDATE \"AspNetUsers\" SET \"PasswordHash\" = @hash WHERE \"UserName\" = @name", ("hash", hash), ("name", name)));
    }

    private static uint IterationsOf(byte[] hash) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(5));

    [Fact]
    public async Task A_password_change_signs_out_every_other_session_and_says_so()
    {
        var name = fixture.NewUsername("everywhere");
        using var a = Server.NewBrowserSession();
        await a.SignUpAsync(name, Password);
        using var b = Server.NewBrowserSession();
        await b.SignInAsync(name, Password);
        var (_, form) = await a.GetAsync("/settings/security");
        Assert.Contains("Changing your password signs you out everywhere", form, StringComparison.Ordinal);
        const string NewPassword = "another fine passphrase";
        using (var changed = await a.PostFormAsync("/settings/security",
            [new("Input.OldPassword", Password), new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)]))
            Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await b.GetAsync("/settings/tokens")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await a.GetAsync("/settings/tokens")).Status);
    }

    [Fact]
    public async Task Password_hashes_use_PBKDF2_HMAC_SHA512_with_at_least_210000_iterations()
    {
        var name = fixture.NewUsername("hashed");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(name, Password);
        var hash = await PasswordHashAsync(name);
        Assert.Equal(0x01, hash[0]); // Identity's v3 format
        var prf = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(1));
        var iterations = IterationsOf(hash);
        Assert.Equal(2u, prf); // HMAC-SHA512
        Assert.True(iterations >= 210_000, $"{iterations} iterations");
    }
}

/// <summary>Idle and absolute session lifetimes, on a server configured with short ones.</summary>
public sealed class SessionLifetimeTests
{
    private const string Password = "lifetime passphrase";

    private static Task<LatchkeyServer> StartAsync() => LatchkeyServer.StartAsync(new Dictionary<string, string>
    {
        ["Sessions:IdleTimeout"] = "00:30:00",
        ["Sessions:AbsoluteLifetime"] = "02:00:00",
    });

    [Fact]
    public async Task An_idle_session_ends()
    {
        await using var server = await StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("idler", Password);
        server.Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/settings/tokens")).Status);
        server.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(HttpStatusCode.Redirect, (await web.GetAsync("/settings/tokens")).Status);
        Assert.Empty(server.FiveHundreds);
    }

    [Fact]
    public async Task Abandoned_sessions_are_swept_with_what_they_kept()
    {
        await using var server = await StartAsync();
        using (var first = server.NewBrowserSession())
            await first.SignUpAsync("leaver", Password);
        server.Clock.Advance(TimeSpan.FromHours(1));
        using var second = server.NewBrowserSession();
        await second.SignInAsync("leaver", Password);
        Assert.Equal(1L, Convert.ToInt64(await TestDatabase.ExecuteAsync(server.DataDirectory, "SELECT COUNT(*) FROM \"Sessions\""), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task An_active_session_still_ends_at_its_absolute_lifetime()
    {
        await using var server = await StartAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("busy", Password);
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromMinutes(110); elapsed += TimeSpan.FromMinutes(10))
        {
            server.Clock.Advance(TimeSpan.FromMinutes(10));
            Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/settings/tokens")).Status);
        }
        server.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(HttpStatusCode.Redirect, (await web.GetAsync("/settings/tokens")).Status);
        Assert.Empty(server.FiveHundreds);
    }
}
