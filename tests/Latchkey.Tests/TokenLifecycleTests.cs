using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>A token's whole life: details, edits, regeneration, revoke-all, and expiry to the second.</summary>
public sealed partial class TokenLifecycleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "token lifecycle passphrase";
    private LatchkeyServer Server => fixture.Server;

    [GeneratedRegex("id=\"token-(\\d+)\"")]
    private static partial Regex TokenRow();

    private async Task<(string Name, WebSession Web)> OwnerAsync()
    {
        var name = fixture.NewUsername("life");
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        await web.CreateRepositoryAsync("code", isPrivate: true, addReadme: true);
        return (name, web);
    }

    private async Task<HttpStatusCode> InfoRefsAsync(string owner, string token, string userAgent = "git/2.39.5")
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{owner}/code.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string> NewestTokenIdAsync(WebSession web)
    {
        var (_, list) = await web.GetAsync("/settings/tokens");
        return TokenRow().Match(list).Groups[1].Value;
    }

    [Fact]
    public async Task The_token_page_shows_when_where_and_with_what_it_was_last_used()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        var token = await web.CreateTokenAsync("ci", ["repo"]);
        var id = await NewestTokenIdAsync(web);
        var (_, before) = await web.GetAsync($"/settings/tokens/{id}");
        Assert.Contains("Never used", before, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync(name, token, "git/2.39.5 (ci-runner)"));
        var (status, page) = await web.GetAsync($"/settings/tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        var decoded = WebUtility.HtmlDecode(page);
        Assert.Contains("from 127.0.0.1 with", decoded, StringComparison.Ordinal);
        Assert.Contains("git/2.39.5 (ci-runner)", decoded, StringComparison.Ordinal);
        Assert.Matches("Last used</dt>\\s*<dd[^>]*>\\w{3}, \\w{3} \\d+ \\d{4} \\d{2}:\\d{2}:\\d{2} UTC", page);
        Assert.Contains("This token expires on", page, StringComparison.Ordinal);
        Assert.DoesNotContain(token, page, StringComparison.Ordinal);

        // Someone else's token page does not exist for them.
        using var other = Server.NewBrowserSession();
        await other.SignUpAsync(fixture.NewUsername("nosy"), Password);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/settings/tokens/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/settings/tokens/{id}/regenerate")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync("/settings/tokens/999999")).Status);
    }

    [Fact]
    public async Task Editing_the_scopes_changes_what_the_token_may_do_at_once()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        var token = await web.CreateTokenAsync("wide", ["repo"]);
        var id = await NewestTokenIdAsync(web);
        Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync(name, token));

        using (var update = await web.PostFormAsync($"/settings/tokens/{id}", [new("Input.Note", "narrow"), new("Input.Scopes", "public_repo")]))
            Assert.Equal(HttpStatusCode.Redirect, update.StatusCode);
        var (_, page) = await web.GetAsync($"/settings/tokens/{id}");
        Assert.Contains("Updated personal access token.", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, await InfoRefsAsync(name, token));

        using (var bad = await web.PostFormAsync($"/settings/tokens/{id}", [new("Input.Note", ""), new("Input.Scopes", "nonsense")]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            var body = await bad.Content.ReadAsStringAsync();
            Assert.Contains("Note can&#x27;t be blank.", body, StringComparison.Ordinal);
            Assert.Contains("Unknown scope: nonsense.", body, StringComparison.Ordinal);
        }
        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Contains("personal_access_token.update", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regenerating_kills_the_old_secret_and_shows_the_new_one_once()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        var old = await web.CreateTokenAsync("deploy", ["repo"], expiration: "7");
        var id = await NewestTokenIdAsync(web);
        using var git = new GitClient();
        Assert.True((await git.CloneAsync(Server.Url($"/{name}/code.git"), "with-old", name, old)).Succeeded);

        var (formStatus, form) = await web.GetAsync($"/settings/tokens/{id}/regenerate");
        Assert.Equal(HttpStatusCode.OK, formStatus);
        Assert.Contains("Regenerate token", form, StringComparison.Ordinal);
        using (var regenerate = await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "90")]))
        {
            Assert.Equal(HttpStatusCode.Redirect, regenerate.StatusCode);
            Assert.Equal("/settings/tokens", regenerate.Headers.Location?.OriginalString);
        }
        var (_, shown) = await web.GetAsync("/settings/tokens");
        var fresh = WebSession.NewTokenBox().Match(shown).Groups[1].Value;
        Assert.StartsWith("lkp_", fresh, StringComparison.Ordinal);
        Assert.NotEqual(old, fresh);
        Assert.Contains("deploy", shown, StringComparison.Ordinal);
        Assert.Contains("Expires on " + Server.Clock.GetUtcNow().UtcDateTime.AddDays(90).ToString("ddd, MMM d yyyy", System.Globalization.CultureInfo.InvariantCulture), shown, StringComparison.Ordinal);
        var (_, again) = await web.GetAsync("/settings/tokens");
        Assert.DoesNotContain(fresh, again, StringComparison.Ordinal);

        var withOld = await git.CloneAsync(Server.Url($"/{name}/code.git"), "old-again", name, old);
        Assert.False(withOld.Succeeded, withOld.ToString());
        var withNew = await git.CloneAsync(Server.Url($"/{name}/code.git"), "with-new", name, fresh);
        Assert.True(withNew.Succeeded, withNew.ToString());

        using (var bad = await web.PostFormAsync($"/settings/tokens/{id}/regenerate", [new("Input.Expiration", "forever")]))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Contains("personal_access_token.regenerate", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_all_names_the_count_and_every_token_dies()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        var tokens = new[] { await web.CreateTokenAsync("a", ["repo"]), await web.CreateTokenAsync("b", ["repo"]), await web.CreateTokenAsync("c", ["repo"]) };
        foreach (var token in tokens)
            Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync(name, token));

        var (_, list) = await web.GetAsync("/settings/tokens");
        Assert.Contains("This will revoke all 3 of your personal access tokens (classic).", WebUtility.HtmlDecode(list), StringComparison.Ordinal);
        using (var revoke = await web.PostFormAsync("/settings/tokens", [], "/settings/tokens?handler=RevokeAll"))
            Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        var (_, after) = await web.GetAsync("/settings/tokens");
        Assert.Contains("Revoked 3 personal access tokens.", after, StringComparison.Ordinal);
        foreach (var token in tokens)
            Assert.Equal(HttpStatusCode.Unauthorized, await InfoRefsAsync(name, token));
        using var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"/{name}/code.git"), "after-revoke", name, tokens[0]);
        Assert.False(clone.Succeeded, clone.ToString());
        Assert.Contains("remote: Invalid username or token.", clone.Error, StringComparison.Ordinal);
        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Equal(3, Regex.Count(log, "data-security-event=\"personal_access_token.revoke\""));
    }

    [Fact]
    public async Task Expiry_bites_at_the_exact_instant()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        var token = await web.CreateTokenAsync("a week", ["repo"], expiration: "7");
        Server.Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync(name, token));
        Server.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await InfoRefsAsync(name, token));
    }
}

/// <summary>A site limit on token lifetimes narrows the choices and stops older long-lived tokens.</summary>
public sealed class TokenMaxLifetimeTests
{
    private const string Password = "max lifetime passphrase";

    [Fact]
    public async Task With_a_30_day_limit_only_shorter_choices_exist_and_older_tokens_stop_after_30_days()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:MaxLifetimeDays"] = "30" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("limited", Password);
        await web.CreateRepositoryAsync("code", isPrivate: true, addReadme: true);

        var (_, form) = await web.GetAsync("/settings/tokens/new");
        Assert.Contains("value=\"7\"", form, StringComparison.Ordinal);
        Assert.Contains("value=\"30\"", form, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"90\"", form, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"none\"", form, StringComparison.Ordinal);
        foreach (var (choice, date) in new[] { ("none", ""), ("90", ""), ("custom", DateOnly.FromDateTime(server.Clock.GetUtcNow().UtcDateTime).AddDays(40).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)) })
        {
            using var refused = await web.PostFormAsync("/settings/tokens/new", [new("Input.Note", "long"), new("Input.Expiration", choice), new("Input.CustomDate", date)]);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains("Tokens on this server must expire within 30 days.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A token from before the limit, with no expiry, still stops 30 days after it was made.
        var token = await web.CreateTokenAsync("old", ["repo"], expiration: "7");
        Assert.Equal(1, await TestDatabase.ExecuteAsync(server.DataDirectory, "UPDATE \"PersonalAccessTokens\" SET \"ExpiresAt\" = NULL"));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        server.Clock.Advance(TimeSpan.FromDays(29));
        using (var within = await http.GetAsync("limited/code.git/info/refs?service=git-upload-pack"))
            Assert.Equal(HttpStatusCode.OK, within.StatusCode);
        server.Clock.Advance(TimeSpan.FromDays(1));
        using (var after = await http.GetAsync("limited/code.git/info/refs?service=git-upload-pack"))
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Empty(server.FiveHundreds);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("367")]
    [InlineData("a month")]
    public async Task A_limit_outside_1_to_366_days_stops_the_server_with_a_clear_message(string value)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:MaxLifetimeDays"] = value }));
        Assert.Contains("Tokens:MaxLifetimeDays must be a whole number of days from 1 to 366", error.Message, StringComparison.Ordinal);
    }
}
