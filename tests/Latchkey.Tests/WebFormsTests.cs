using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Accounts, the token form and the repository pages answer bad input with a 4xx and a message.</summary>
public sealed class WebFormsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "long enough passphrase";
    private LatchkeyServer Server => fixture.Server;

    private static async Task<string> BodyOf(HttpResponseMessage response) => WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

    [Fact]
    public async Task The_first_account_is_the_site_administrator_and_only_it_is_offered_site_admin()
    {
        // This class's server is fresh, but other tests may sign up first: find out who was first.
        using var first = Server.NewBrowserSession();
        using var second = Server.NewBrowserSession();
        await first.SignUpAsync("zz-first", Password);
        await second.SignUpAsync("zz-second", Password);
        var (_, firstForm) = await first.GetAsync("/settings/tokens/new");
        var (_, secondForm) = await second.GetAsync("/settings/tokens/new");
        var firstIsAdmin = firstForm.Contains("value=\"site_admin\"", StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"site_admin\"", secondForm, StringComparison.Ordinal);

        // A crafted post cannot grant site_admin to a non-administrator.
        using var crafted = await second.PostFormAsync("/settings/tokens/new",
            [new("Input.Note", "sneaky"), new("Input.Expiration", "7"), new("Input.Scopes", "site_admin")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, crafted.StatusCode);
        Assert.Contains("Only site administrators may grant the site_admin scope.", await BodyOf(crafted), StringComparison.Ordinal);

        if (firstIsAdmin)
        {
            var token = await first.CreateTokenAsync("admin", ["site_admin"]);
            Assert.StartsWith("lkp_", token, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_very_first_sign_up_on_a_server_becomes_administrator()
    {
        await using var server = await LatchkeyServer.StartAsync();
        using var admin = server.NewBrowserSession();
        await admin.SignUpAsync("founder", Password);
        var (_, form) = await admin.GetAsync("/settings/tokens/new");
        Assert.Contains("value=\"site_admin\"", form, StringComparison.Ordinal);
        Assert.Empty(server.FiveHundreds);
    }

    public static TheoryData<string, string, string, string> BadSignUps => new()
    {
        { "", "a@example.test", Password, "Username is required." },
        { "-dash", "b@example.test", Password, "cannot begin or end with a hyphen" },
        { "two--dashes", "c@example.test", Password, "single hyphens" },
        { new string('x', 40), "d@example.test", Password, "maximum is 39" },
        { "settings", "e@example.test", Password, "is unavailable" },
        { "okname", "not-an-email", Password, "Email address is invalid." },
        { "okname2", "f@example.test", "short", "Password is too short (minimum is 8 characters)." },
    };

    [Theory]
    [MemberData(nameof(BadSignUps))]
    public async Task Bad_sign_up_input_is_refused_with_the_reason(string username, string email, string password, string message)
    {
        using var web = Server.NewBrowserSession();
        using var response = await web.PostFormAsync("/signup", [new("Input.Username", username), new("Input.Email", email), new("Input.Password", password)]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(message, await BodyOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usernames_are_unique_ignoring_case()
    {
        var name = fixture.NewUsername("Casey");
        using var first = Server.NewBrowserSession();
        await first.SignUpAsync(name, Password);
        using var second = Server.NewBrowserSession();
        using var response = await second.PostFormAsync("/signup",
            [new("Input.Username", name.ToLowerInvariant()), new("Input.Email", "other@example.test"), new("Input.Password", Password)]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("Username is already taken.", await BodyOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_works_with_username_or_email_and_refuses_a_wrong_password()
    {
        var name = fixture.NewUsername("signer");
        using (var web = Server.NewBrowserSession())
            await web.SignUpAsync(name, Password, $"{name}@example.test");
        using (var byName = Server.NewBrowserSession())
            await byName.SignInAsync(name, Password);
        using (var byEmail = Server.NewBrowserSession())
            await byEmail.SignInAsync($"{name}@example.test", Password);
        using var wrong = Server.NewBrowserSession();
        using var response = await wrong.PostFormAsync("/login", [new("Input.Login", name), new("Input.Password", "not the password")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("Incorrect username or password.", await BodyOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_from_the_menu_ends_the_session()
    {
        var name = fixture.NewUsername("leaver");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var (_, home) = await web.GetAsync("/");
        Assert.Contains($"alt=\"@{name}\"", home, StringComparison.Ordinal);
        using (var signOut = await web.PostFormAsync("/", [], "/logout"))
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        var (status, _) = await web.GetAsync("/settings/tokens");
        Assert.Equal(HttpStatusCode.Redirect, status);
    }

    public static TheoryData<string[], string> BadTokenForms => new()
    {
        { ["Input.Note=", "Input.Expiration=30", "Input.Scopes=repo"], "Note can't be blank." },
        { ["Input.Note=" + new string('n', 101), "Input.Expiration=30"], "Note is too long (maximum is 100 characters)." },
        { ["Input.Note=x", "Input.Expiration=30", "Input.Scopes=admin:everything"], "Unknown scope: admin:everything." },
        { ["Input.Note=x", "Input.Expiration=12"], "Choose an expiration." },
        { ["Input.Note=x", "Input.Expiration=custom"], "Choose a date for a custom expiration." },
        { ["Input.Note=x", "Input.Expiration=custom", "Input.CustomDate=yesterday"], "The custom expiration date is not a valid date." },
        { ["Input.Note=x", "Input.Expiration=custom", "Input.CustomDate=2001-01-01"], "The custom expiration date must be in the future." },
        { ["Input.Note=x", "Input.Expiration=custom", "Input.CustomDate=2999-01-01"], "The custom expiration date must be within one year." },
    };

    [Theory]
    [MemberData(nameof(BadTokenForms))]
    public async Task Bad_token_form_input_is_refused_with_the_reason_and_no_token_is_made(string[] fields, string message)
    {
        var name = fixture.NewUsername("former");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var pairs = fields.Select(f => f.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1]));
        using var response = await web.PostFormAsync("/settings/tokens/new", pairs);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(message, await BodyOf(response), StringComparison.Ordinal);
        var (_, list) = await web.GetAsync("/settings/tokens");
        Assert.Contains("You have no personal access tokens (classic) yet.", WebUtility.HtmlDecode(list), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_custom_expiration_and_no_expiration_are_shown_on_the_list()
    {
        var name = fixture.NewUsername("dates");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var date = DateOnly.FromDateTime(Server.Clock.GetUtcNow().UtcDateTime).AddDays(45);
        await web.CreateTokenAsync("custom", ["repo"], "custom", date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await web.CreateTokenAsync("forever", ["repo"], "none");
        var (_, list) = await web.GetAsync("/settings/tokens");
        Assert.Contains("Expires on " + date.ToString("ddd, MMM d yyyy", System.Globalization.CultureInfo.InvariantCulture), list, StringComparison.Ordinal);
        Assert.Contains("No expiration", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scopes_are_stored_normalised()
    {
        var name = fixture.NewUsername("norm");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateTokenAsync("both", ["repo:status", "repo", "public_repo", "read:user"]);
        var (_, list) = await web.GetAsync("/settings/tokens");
        Assert.Contains(">repo, read:user<", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_pages_need_a_session()
    {
        using var anonymous = Server.NewBrowserSession();
        foreach (var path in new[] { "/settings/profile", "/settings/apps", "/settings/tokens", "/settings/tokens/new", "/settings/personal-access-tokens", "/new" })
        {
            using var response = await anonymous.Http.GetAsync(path.TrimStart('/'));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused()
    {
        var name = fixture.NewUsername("csrf");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        using var response = await web.Http.PostAsync("settings/tokens/new",
            new FormUrlEncodedContent([new("Input.Note", "x"), new("Input.Expiration", "7")]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (_, list) = await web.GetAsync("/settings/tokens");
        Assert.Contains("You have no personal access tokens (classic) yet.", WebUtility.HtmlDecode(list), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadRepositoryNames => new()
    {
        { "", "Repository name is required." },
        { "has space", "may contain only ASCII letters" },
        { "..", "may contain only" },
        { "../../etc", "may contain only" },
        { "name.git", "cannot end with '.git'" },
        { new string('r', 101), "maximum is 100" },
    };

    [Theory]
    [MemberData(nameof(BadRepositoryNames))]
    public async Task Bad_repository_names_are_refused_with_the_reason(string repoName, string message)
    {
        var name = fixture.NewUsername("namer");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        using var response = await web.PostFormAsync("/new", [new("Input.Name", repoName), new("Input.Visibility", "public")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await BodyOf(response);
        Assert.True(body.Contains(message, StringComparison.Ordinal) || (repoName == ".." && body.Contains("cannot be '.' or '..'", StringComparison.Ordinal)), body);
    }

    [Fact]
    public async Task Duplicate_repository_names_are_refused_ignoring_case()
    {
        var name = fixture.NewUsername("dup");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("Thing");
        using var response = await web.PostFormAsync("/new", [new("Input.Name", "thing"), new("Input.Visibility", "public")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("already exists", await BodyOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Private_repositories_are_invisible_to_others_on_the_web()
    {
        var owner = fixture.NewUsername("hider");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(owner, Password);
        await web.CreateRepositoryAsync("open", addReadme: true);
        await web.CreateRepositoryAsync("closed", isPrivate: true, addReadme: true);

        var (mine, ownList) = await web.GetAsync($"/{owner}");
        Assert.Equal(HttpStatusCode.OK, mine);
        Assert.Contains($"/{owner}/closed", ownList, StringComparison.Ordinal);

        using var stranger = Server.NewBrowserSession();
        var (status, list) = await stranger.GetAsync($"/{owner}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"/{owner}/open", list, StringComparison.Ordinal);
        Assert.DoesNotContain($"/{owner}/closed", list, StringComparison.Ordinal);
        foreach (var path in new[] { $"/{owner}/closed", $"/{owner}/closed/tree/main/", $"/{owner}/closed/blob/main/README.md", $"/{owner}/closed/settings" })
        {
            var (hidden, _) = await stranger.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, hidden);
        }
        var (unknownUser, _) = await stranger.GetAsync("/nobody-by-that-name");
        Assert.Equal(HttpStatusCode.NotFound, unknownUser);
        var (publicSettings, _) = await stranger.GetAsync($"/{owner}/open/settings");
        Assert.Equal(HttpStatusCode.NotFound, publicSettings);
    }

    [Fact]
    public async Task Every_user_has_a_generated_profile_picture()
    {
        using var web = Server.NewBrowserSession();
        using var response = await web.Http.GetAsync("avatars/u/1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }
}
