using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Sensitive actions ask for the password again when it was last confirmed over two hours ago.</summary>
public sealed class SudoModeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "sudo mode passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Name, WebSession Web)> SignedInAsync()
    {
        var name = fixture.NewUsername("sudoer");
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        return (name, web);
    }

    private static async Task<HttpResponseMessage> ConfirmAsync(WebSession web, string returnTo, string password) =>
        await web.PostFormAsync($"/sessions/sudo?return_to={Uri.EscapeDataString(returnTo)}",
            [new("ReturnTo", returnTo), new("Password", password)]);

    [Fact]
    public async Task Right_after_sign_in_no_confirmation_is_asked()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        var token = await web.CreateTokenAsync("fresh", ["repo"]);
        Assert.StartsWith("lkp_", token, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_two_hours_generating_a_token_asks_for_the_password_first()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        Server.Clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));

        using (var form = await web.Http.GetAsync("settings/tokens/new"))
        {
            Assert.Equal(HttpStatusCode.Redirect, form.StatusCode);
            Assert.Equal("/sessions/sudo?return_to=%2Fsettings%2Ftokens%2Fnew", form.Headers.Location?.OriginalString);
        }
        var (promptStatus, prompt) = await web.GetAsync("/sessions/sudo?return_to=%2Fsettings%2Ftokens%2Fnew");
        Assert.Equal(HttpStatusCode.OK, promptStatus);
        Assert.Contains("Confirm access", prompt, StringComparison.Ordinal);

        using (var wrong = await ConfirmAsync(web, "/settings/tokens/new", "not the password"))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
            Assert.Contains("Incorrect password.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var right = await ConfirmAsync(web, "/settings/tokens/new", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
            Assert.Equal("/settings/tokens/new", right.Headers.Location?.OriginalString);
        }
        Assert.StartsWith("lkp_", await web.CreateTokenAsync("after sudo", ["repo"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirming_starts_a_fresh_session_and_the_old_cookie_dies()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        var before = web.Cookies.GetCookies(Server.BaseAddress)["latchkey_session"]!.Value;
        Server.Clock.Advance(TimeSpan.FromHours(3));
        using (var confirm = await ConfirmAsync(web, "/settings/tokens/new", Password))
            Assert.Equal(HttpStatusCode.Redirect, confirm.StatusCode);
        var after = web.Cookies.GetCookies(Server.BaseAddress)["latchkey_session"]!.Value;
        Assert.NotEqual(before, after);
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/settings/tokens/new")).Status);

        using var replay = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "settings/tokens");
        request.Headers.Add("Cookie", "latchkey_session=" + before);
        using var response = await replay.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task A_confirmation_posted_without_the_session_cookie_confirms_nothing()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        // As a cross-site form would arrive: SameSite keeps the session cookie away.
        using var stranger = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        using var response = await stranger.PostAsync("sessions/sudo", new FormUrlEncodedContent([new("ReturnTo", "/"), new("Password", Password)]));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain("Set-Cookie", response.Headers.Select(h => h.Key));
    }

    [Fact]
    public async Task A_post_outside_sudo_mode_does_nothing_and_asks_for_the_password()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        await web.CreateTokenAsync("to keep", ["repo"]);
        var (_, list) = await web.GetAsync("/settings/tokens");
        var id = System.Text.RegularExpressions.Regex.Match(list, "id=\"token-(\\d+)\"").Groups[1].Value;
        // Load the forms while still in sudo mode, then let the two hours pass.
        var (_, form) = await web.GetAsync("/settings/tokens");
        var antiforgery = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value);
        Server.Clock.Advance(TimeSpan.FromHours(3));

        using (var delete = await web.Http.PostAsync($"settings/tokens?handler=Delete&id={id}", new FormUrlEncodedContent([new("__RequestVerificationToken", antiforgery)])))
        {
            Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
            Assert.StartsWith("/sessions/sudo?return_to=", delete.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
        using (var create = await web.Http.PostAsync("settings/tokens/new", new FormUrlEncodedContent(
            [new("Input.Note", "sneaky"), new("Input.Expiration", "7"), new("__RequestVerificationToken", antiforgery)])))
            Assert.Equal(HttpStatusCode.Redirect, create.StatusCode);

        var (_, after) = await web.GetAsync("/settings/tokens");
        Assert.Contains("to keep", after, StringComparison.Ordinal);
        Assert.DoesNotContain("sneaky", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_sensitive_action_restarts_the_two_hours()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        Server.Clock.Advance(TimeSpan.FromMinutes(110));
        await web.CreateTokenAsync("at 1h50", ["repo"]);
        Server.Clock.Advance(TimeSpan.FromMinutes(110));
        // 3h40 after sign-in, 1h50 after the last sensitive action: still in sudo mode.
        await web.CreateTokenAsync("at 3h40", ["repo"]);
    }

    [Fact]
    public async Task Changing_the_email_needs_sudo_mode_and_the_new_address_signs_in()
    {
        var (name, web) = await SignedInAsync();
        using var _ = web;
        Server.Clock.Advance(TimeSpan.FromHours(3));
        var (status, _) = await web.GetAsync("/settings/emails");
        Assert.Equal(HttpStatusCode.Redirect, status);
        using (var confirm = await ConfirmAsync(web, "/settings/emails", Password))
            Assert.Equal(HttpStatusCode.Redirect, confirm.StatusCode);

        using (var invalid = await web.PostFormAsync("/settings/emails", [new("NewEmail", "not an email")]))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        using (var changed = await web.PostFormAsync("/settings/emails", [new("NewEmail", $"{name}@new.example.test")]))
            Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        var (_, page) = await web.GetAsync("/settings/emails");
        Assert.Contains($"Your email address is now {name}@new.example.test.", page, StringComparison.Ordinal);

        using var other = Server.NewBrowserSession();
        await other.SignInAsync($"{name}@new.example.test", Password);
    }

    [Fact]
    public async Task The_confirmation_never_redirects_off_site()
    {
        var (_, web) = await SignedInAsync();
        using var _ = web;
        using var response = await ConfirmAsync(web, "https://evil.example/steal", Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/settings/profile", response.Headers.Location?.OriginalString);
    }
}
