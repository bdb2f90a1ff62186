using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>Fine-grained tokens through their web pages: the form, the list that shows a token once, the token page, regenerate and delete.</summary>
public sealed partial class FineGrainedWebTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "fine grained passphrase";
    private const string NewPage = "/settings/personal-access-tokens/new";
    private const string ListPage = "/settings/personal-access-tokens";
    private LatchkeyServer Server => fixture.Server;

    [GeneratedRegex("id=\"token-(\\d+)\"")]
    private static partial Regex TokenRow();

    private async Task<(string Name, WebSession Web)> OwnerAsync(string stem = "fine")
    {
        var name = fixture.NewUsername(stem);
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        return (name, web);
    }

    private static async Task<string> NewestTokenIdAsync(WebSession web)
    {
        var (_, list) = await web.GetAsync(ListPage);
        var row = TokenRow().Match(list);
        Assert.True(row.Success, "No token listed:\n" + list);
        return row.Groups[1].Value;
    }

    private static List<KeyValuePair<string, string>> Fields(string name, string access = "all", string expiration = "30", params (string Key, string Value)[] more)
    {
        var fields = new List<KeyValuePair<string, string>> { new("Input.Name", name), new("Input.Expiration", expiration), new("Input.RepositoryAccess", access) };
        fields.AddRange(more.Select(m => new KeyValuePair<string, string>(m.Key, m.Value)));
        return fields;
    }

    private async Task<HttpStatusCode> ApiUserAsync(string token, string userAgent = "fine-grained-tests/1.0")
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v3/user");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> InfoRefsAsync(string fullName, string token)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{fullName}.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The status and the page, decoded, so a failing assertion prints what a person saw.</summary>
    private static async Task<(HttpStatusCode Status, string Text)> ReadAsync(HttpResponseMessage response) =>
        (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));

    [Fact]
    public async Task A_token_for_all_repositories_is_shown_once_then_never_and_listed_with_its_reach_and_expiry()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var (emptyStatus, empty) = await web.GetAsync(ListPage);
        Assert.Equal(HttpStatusCode.OK, emptyStatus);
        Assert.Contains("You have no fine-grained personal access tokens yet.", empty, StringComparison.Ordinal);
        Assert.Contains("Generate new token", empty, StringComparison.Ordinal);

        var token = await web.CreateFineGrainedTokenAsync("laptop", "all", permissions: new Dictionary<string, string> { ["contents"] = "write" });
        Assert.StartsWith("lkf_", token, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ApiUserAsync(token));

        // CreateFineGrainedTokenAsync read the one showing; the next view has only the row.
        var (status, list) = await web.GetAsync(ListPage);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(token, list, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"new-token\"", list, StringComparison.Ordinal);
        Assert.Contains(">laptop</a>", list, StringComparison.Ordinal);
        Assert.Contains("All repositories", list, StringComparison.Ordinal);
        var expires = Server.Clock.GetUtcNow().UtcDateTime.AddDays(30).ToString("ddd, MMM d yyyy", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("Expires on " + expires, list, StringComparison.Ordinal);
        Assert.Contains("Last used within the last week", list, StringComparison.Ordinal);

        // The classic list never shows it, and shows no fine-grained token.
        var (_, classic) = await web.GetAsync("/settings/tokens");
        Assert.DoesNotContain("laptop", classic, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_selected_repositories_reaches_only_those_with_the_chosen_permissions()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        await web.CreateRepositoryAsync("chosen", isPrivate: true, addReadme: true);
        await web.CreateRepositoryAsync("other", isPrivate: true, addReadme: true);
        var chosen = await web.RepositoryIdAsync($"{name}/chosen");

        var token = await web.CreateFineGrainedTokenAsync("deploy", "selected", [chosen], new Dictionary<string, string> { ["contents"] = "write", ["profile"] = "read" });
        Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync($"{name}/chosen", token));
        Assert.Equal(HttpStatusCode.NotFound, await InfoRefsAsync($"{name}/other", token));

        var (_, list) = await web.GetAsync(ListPage);
        Assert.Contains("1 selected repository", list, StringComparison.Ordinal);
        var id = await NewestTokenIdAsync(web);
        var (status, page) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<li>{name}/chosen</li>", page, StringComparison.Ordinal);
        Assert.DoesNotContain($"<li>{name}/other</li>", page, StringComparison.Ordinal);
        Assert.Contains("Contents: Read and write", page, StringComparison.Ordinal);
        Assert.Contains("Metadata: Read-only", page, StringComparison.Ordinal);
        Assert.Contains("Profile: Read-only", page, StringComparison.Ordinal);
        Assert.DoesNotContain(token, page, StringComparison.Ordinal);

        // Selecting no repository, or one that is not the user's, is refused with the reason.
        using (var none = await web.PostFormAsync(NewPage, Fields("nothing", "selected")))
        {
            var (noneStatus, text) = await ReadAsync(none);
            Assert.True(noneStatus == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("Select at least one repository", text, StringComparison.Ordinal);
        }
        var (stranger, strangerWeb) = await OwnerAsync("stranger");
        using (strangerWeb)
        {
            await strangerWeb.CreateRepositoryAsync("theirs", isPrivate: true);
            var theirs = await strangerWeb.RepositoryIdAsync($"{stranger}/theirs");
            using var foreign = await web.PostFormAsync(NewPage, Fields("foreign", "selected", "30", ("Input.RepositoryIds", theirs.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            var (foreignStatus, text) = await ReadAsync(foreign);
            Assert.True(foreignStatus == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("Some selected repositories do not exist or are not yours to select.", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_for_public_repositories_keeps_no_repository_permission_but_metadata()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        await web.CreateFineGrainedTokenAsync("reader", "public", permissions: new Dictionary<string, string> { ["contents"] = "write", ["email_addresses"] = "read" });
        var id = await NewestTokenIdAsync(web);
        var (_, list) = await web.GetAsync(ListPage);
        Assert.Contains("Public repositories (read-only)", list, StringComparison.Ordinal);
        var (_, page) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Contains("Metadata: Read-only", page, StringComparison.Ordinal);
        Assert.Contains("Email addresses: Read-only", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Contents: Read and write", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_form_lists_the_permissions_with_metadata_fixed_and_an_overview_rendered_on_the_server()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        await web.CreateRepositoryAsync("listed");
        var (status, page) = await web.GetAsync(NewPage);
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var label in new[] { "Token name", "Description", "Resource owner", "Expiration", "Repository access", "Public repositories", "All repositories",
            "Only select repositories", "Repository permissions", "Account permissions", "Overview", "Generate token" })
            Assert.Contains(label, page, StringComparison.Ordinal);
        foreach (var key in new[] { "contents", "administration", "profile", "email_addresses" })
            Assert.Contains($"name=\"Input.Permissions[{key}]\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"Input.Permissions[metadata]\"", page, StringComparison.Ordinal);
        Assert.Matches("<select id=\"permission-metadata\"[^>]*disabled", page);
        Assert.Contains($"data-full-name=\"{name}/listed\"", page, StringComparison.Ordinal);
        Assert.Contains("<option value=\"30\" selected=\"selected\">30 days</option>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("No expiration</option>", page, StringComparison.Ordinal);
        Assert.Contains("<span data-overview-repositories>Public repositories (read-only)</span>", page, StringComparison.Ordinal);

        // After a refused post the overview says what was chosen.
        using var refused = await web.PostFormAsync(NewPage, Fields("", "all", "30", ("Input.Permissions[contents]", "read")));
        var (refusedStatus, text) = await ReadAsync(refused);
        Assert.True(refusedStatus == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("Token name can't be blank.", text, StringComparison.Ordinal);
        Assert.Contains("<span data-overview-git>Clone and fetch</span>", text, StringComparison.Ordinal);
        Assert.Contains("<li>Contents: Read-only</li>", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_are_unique_per_user_required_and_at_most_40_characters()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        await web.CreateFineGrainedTokenAsync("ci");
        using (var again = await web.PostFormAsync(NewPage, Fields("ci")))
        {
            var (status, text) = await ReadAsync(again);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("Token name has already been taken.", text, StringComparison.Ordinal);
            Assert.Contains("value=\"ci\"", text, StringComparison.Ordinal);
        }
        using (var blank = await web.PostFormAsync(NewPage, Fields("  ")))
        {
            var (status, text) = await ReadAsync(blank);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("Token name can't be blank.", text, StringComparison.Ordinal);
        }
        using (var longName = await web.PostFormAsync(NewPage, Fields(new string('n', 41))))
        {
            var (status, text) = await ReadAsync(longName);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("Token name is too long (maximum is 40 characters).", text, StringComparison.Ordinal);
        }

        // Another user may use the same name.
        var (_, other) = await OwnerAsync("other");
        using (other)
            await other.CreateFineGrainedTokenAsync("ci");
    }

    [Theory]
    [InlineData("none", "Fine-grained tokens must have an expiration.")]
    [InlineData("", "Choose an expiration.")]
    [InlineData("365", "Choose an expiration.")]
    [InlineData("custom", "Choose a date for a custom expiration.")]
    public async Task An_expiration_is_required(string expiration, string message)
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        using var response = await web.PostFormAsync(NewPage, Fields("forever", "all", expiration));
        var (status, text) = await ReadAsync(response);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains(message, text, StringComparison.Ordinal);
        var (_, list) = await web.GetAsync(ListPage);
        Assert.Contains("You have no fine-grained personal access tokens yet.", list, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Input.Permissions[foo]", "read", "Unknown permission 'foo'.")]
    [InlineData("Input.Permissions[contents]", "admin", "Unknown access level 'admin' for Contents: use none, read or write.")]
    [InlineData("Input.Permissions[metadata]", "write", "Metadata is always read-only.")]
    [InlineData("Input.RepositoryIds", "twelve", "The field Input.RepositoryIds")]
    [InlineData("Input.CustomDate", "tomorrow", "The custom expiration date is not a valid date.")]
    public async Task Wrong_values_are_refused_with_the_reason(string field, string value, string message)
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        using var response = await web.PostFormAsync(NewPage, Fields("bad", "all", "30", (field, value)));
        var (status, text) = await ReadAsync(response);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_repository_access_is_refused()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        using var response = await web.PostFormAsync(NewPage, Fields("bad", "everything"));
        var (status, text) = await ReadAsync(response);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("Unknown repository access 'everything': choose public, all or selected.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_limit_on_fine_grained_tokens_is_said_on_the_form()
    {
        await using var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Tokens:MaxFineGrainedPerUser"] = "2" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("limited", Password);
        await web.CreateFineGrainedTokenAsync("one");
        await web.CreateFineGrainedTokenAsync("two");
        using var third = await web.PostFormAsync(NewPage, Fields("three"));
        var (status, text) = await ReadAsync(third);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("You have reached the limit of 2 fine-grained personal access tokens. Delete one you no longer use first.", text, StringComparison.Ordinal);
        var (_, list) = await web.GetAsync(ListPage);
        Assert.Contains("2 of at most 2 fine-grained tokens", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_link_fills_the_form()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var (status, page) = await web.GetAsync(NewPage + "?name=deploy%20bot&description=Ships%20releases&expires_in=90&contents=read&administration=write&metadata=read");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("value=\"deploy bot\"", page, StringComparison.Ordinal);
        Assert.Contains(">Ships releases</textarea>", page, StringComparison.Ordinal);
        Assert.Contains("<option value=\"90\" selected=\"selected\">90 days</option>", page, StringComparison.Ordinal);
        Assert.Matches("name=\"Input.Permissions\\[contents\\]\"[^>]*>\\s*<option value=\"none\">No access</option>\\s*<option value=\"read\" selected=\"selected\">", page);
        Assert.Matches("name=\"Input.Permissions\\[administration\\]\"[^>]*>(\\s*<option[^>]*>[^<]*</option>){2}\\s*<option value=\"write\" selected=\"selected\">", page);
        Assert.DoesNotContain("data-link-warnings", page, StringComparison.Ordinal);

        // Any number of days becomes a custom date.
        var (_, custom) = await web.GetAsync(NewPage + "?expires_in=45");
        Assert.Contains("<option value=\"custom\" selected=\"selected\">", custom, StringComparison.Ordinal);
        var date = DateOnly.FromDateTime(Server.Clock.GetUtcNow().UtcDateTime).AddDays(45).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"name=\"Input.CustomDate\" value=\"{date}\"", custom, StringComparison.Ordinal);
        Assert.DoesNotContain("data-link-warnings", custom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_link_with_wrong_values_says_what_it_ignored()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var (status, page) = await web.GetAsync(NewPage + "?name=ok&expires_in=none&foo=read&contents=admin&metadata=write&target_name=someone-else");
        Assert.Equal(HttpStatusCode.OK, status);
        var text = WebUtility.HtmlDecode(page);
        Assert.Contains("data-link-warnings", text, StringComparison.Ordinal);
        Assert.Contains("Unknown permission 'foo' in the link.", text, StringComparison.Ordinal);
        Assert.Contains("Fine-grained tokens must have an expiration: 'expires_in=none' in the link was ignored.", text, StringComparison.Ordinal);
        Assert.Contains("Unknown access level 'admin' for permission 'contents' in the link: use none, read or write.", text, StringComparison.Ordinal);
        Assert.Contains("Metadata is always read-only; 'metadata=write' in the link was ignored.", text, StringComparison.Ordinal);
        Assert.Contains("Unknown resource owner 'someone-else' in the link", text, StringComparison.Ordinal);
        // What was right is still used; the expiration falls back to the default.
        Assert.Contains("value=\"ok\"", text, StringComparison.Ordinal);
        Assert.Contains("<option value=\"30\" selected=\"selected\">30 days</option>", text, StringComparison.Ordinal);

        var (_, far) = await web.GetAsync(NewPage + "?expires_in=4000");
        Assert.Contains("An expiration of 4000 days in the link is too far away", WebUtility.HtmlDecode(far), StringComparison.Ordinal);
        // Far beyond any calendar: still a message, not a server error.
        var (huge, farther) = await web.GetAsync(NewPage + "?expires_in=99999999");
        Assert.Equal(HttpStatusCode.OK, huge);
        Assert.Contains("An expiration of 99999999 days in the link is too far away", WebUtility.HtmlDecode(farther), StringComparison.Ordinal);
        var (_, words) = await web.GetAsync(NewPage + "?expires_in=soon&name=" + new string('x', 41));
        var decoded = WebUtility.HtmlDecode(words);
        Assert.Contains("Unknown expiration 'soon' in the link: give a number of days.", decoded, StringComparison.Ordinal);
        Assert.Contains("The name in the link is too long (maximum is 40 characters)", decoded, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editing_changes_name_description_repositories_and_permissions_but_not_the_secret()
    {
        var (name, web) = await OwnerAsync();
        using var _ = web;
        await web.CreateRepositoryAsync("alpha", isPrivate: true, addReadme: true);
        await web.CreateRepositoryAsync("beta", isPrivate: true, addReadme: true);
        var alpha = await web.RepositoryIdAsync($"{name}/alpha");
        var token = await web.CreateFineGrainedTokenAsync("wide", "all", permissions: new Dictionary<string, string> { ["contents"] = "read" });
        await web.CreateFineGrainedTokenAsync("taken");
        var (_, list) = await web.GetAsync(ListPage);
        var id = TokenRow().Matches(list).Select(m => m.Groups[1].Value).Last();
        Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync($"{name}/beta", token));

        var (_, before) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Contains("value=\"wide\"", before, StringComparison.Ordinal);
        Assert.Contains("id=\"repository-access-all\" name=\"Input.RepositoryAccess\" value=\"all\" checked=\"checked\"", before, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"Input.Expiration\"", before, StringComparison.Ordinal);

        using (var update = await web.PostFormAsync($"{ListPage}/{id}",
        [
            new("Input.Name", "narrow"), new("Input.Description", "Only alpha now"), new("Input.RepositoryAccess", "selected"),
            new("Input.RepositoryIds", alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("Input.Permissions[contents]", "write"),
        ]))
        {
            Assert.True(update.StatusCode == HttpStatusCode.Redirect, await update.Content.ReadAsStringAsync());
            Assert.Equal($"{ListPage}/{id}", update.Headers.Location?.OriginalString);
        }
        var (_, after) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Contains("Updated fine-grained personal access token.", after, StringComparison.Ordinal);
        Assert.Contains("data-token-name>narrow</h2>", after, StringComparison.Ordinal);
        Assert.Contains("Only alpha now", after, StringComparison.Ordinal);
        Assert.Contains($"<li>{name}/alpha</li>", after, StringComparison.Ordinal);
        Assert.Contains("Contents: Read and write", after, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await InfoRefsAsync($"{name}/alpha", token));
        Assert.Equal(HttpStatusCode.NotFound, await InfoRefsAsync($"{name}/beta", token));

        using var clash = await web.PostFormAsync($"{ListPage}/{id}", Fields("taken"));
        var (status, text) = await ReadAsync(clash);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("Token name has already been taken.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regenerating_kills_the_old_secret_and_shows_the_new_one_once()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var old = await web.CreateFineGrainedTokenAsync("rotating");
        var id = await NewestTokenIdAsync(web);
        Assert.Equal(HttpStatusCode.OK, await ApiUserAsync(old));

        using (var forever = await web.PostFormAsync($"{ListPage}/{id}/regenerate", [new("Input.Expiration", "none")]))
        {
            var (status, text) = await ReadAsync(forever);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("Fine-grained tokens must have an expiration.", text, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, await ApiUserAsync(old));

        using (var regenerate = await web.PostFormAsync($"{ListPage}/{id}/regenerate", [new("Input.Expiration", "7")]))
        {
            Assert.True(regenerate.StatusCode == HttpStatusCode.Redirect, await regenerate.Content.ReadAsStringAsync());
            Assert.Equal(ListPage, regenerate.Headers.Location?.OriginalString);
        }
        var (_, shown) = await web.GetAsync(ListPage);
        var fresh = WebSession.NewTokenBox().Match(shown);
        Assert.True(fresh.Success, "The regenerated token is not shown:\n" + shown);
        var renewed = fresh.Groups[1].Value;
        Assert.NotEqual(old, renewed);
        var expires = Server.Clock.GetUtcNow().UtcDateTime.AddDays(7).ToString("ddd, MMM d yyyy", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("Expires on " + expires, shown, StringComparison.Ordinal);
        var (_, again) = await web.GetAsync(ListPage);
        Assert.DoesNotContain(renewed, again, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Unauthorized, await ApiUserAsync(old));
        Assert.Equal(HttpStatusCode.OK, await ApiUserAsync(renewed));
    }

    [Fact]
    public async Task Deleting_a_token_ends_it()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var token = await web.CreateFineGrainedTokenAsync("doomed");
        var id = await NewestTokenIdAsync(web);
        var (_, page) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Contains("data-confirm=\"Are you sure you want to delete this token?", page, StringComparison.Ordinal);

        using (var delete = await web.PostFormAsync($"{ListPage}/{id}", [], $"{ListPage}/{id}?handler=Delete"))
        {
            Assert.True(delete.StatusCode == HttpStatusCode.Redirect, await delete.Content.ReadAsStringAsync());
            Assert.Equal(ListPage, delete.Headers.Location?.OriginalString);
        }
        var (_, list) = await web.GetAsync(ListPage);
        Assert.Contains("Deleted fine-grained personal access token.", list, StringComparison.Ordinal);
        Assert.Contains("You have no fine-grained personal access tokens yet.", list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await ApiUserAsync(token));
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"{ListPage}/{id}")).Status);
    }

    [Fact]
    public async Task Another_users_token_a_missing_one_and_a_classic_one_are_not_found()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var token = await web.CreateFineGrainedTokenAsync("mine");
        var id = await NewestTokenIdAsync(web);
        await web.CreateTokenAsync("classic", ["repo"]);
        var (_, classicList) = await web.GetAsync("/settings/tokens");
        var classicId = TokenRow().Match(classicList).Groups[1].Value;

        var (_, nosy) = await OwnerAsync("nosy");
        using (nosy)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await nosy.GetAsync($"{ListPage}/{id}")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await nosy.GetAsync($"{ListPage}/{id}/regenerate")).Status);
            // Posting needs a form page for the antiforgery token: the user's own new-token page serves.
            using var edit = await nosy.PostFormAsync(NewPage, Fields("stolen"), $"{ListPage}/{id}");
            Assert.Equal(HttpStatusCode.NotFound, edit.StatusCode);
            using var delete = await nosy.PostFormAsync(NewPage, [], $"{ListPage}/{id}?handler=Delete");
            Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
            using var regenerate = await nosy.PostFormAsync(NewPage, [new("Input.Expiration", "7")], $"{ListPage}/{id}/regenerate");
            Assert.Equal(HttpStatusCode.NotFound, regenerate.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, await ApiUserAsync(token));

        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"{ListPage}/999999")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"{ListPage}/{classicId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"/settings/tokens/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"/settings/tokens/{id}/regenerate")).Status);
    }

    [Fact]
    public async Task The_token_page_shows_when_where_and_with_what_it_was_last_used()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        var token = await web.CreateFineGrainedTokenAsync("ci");
        var id = await NewestTokenIdAsync(web);
        var (_, before) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Contains("Never used", before, StringComparison.Ordinal);
        Assert.Contains("This token expires on", before, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await ApiUserAsync(token, "release-script/2.0 (ci-runner)"));
        var (status, page) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        var decoded = WebUtility.HtmlDecode(page);
        Assert.Contains("from 127.0.0.1 with", decoded, StringComparison.Ordinal);
        Assert.Contains("release-script/2.0 (ci-runner)", decoded, StringComparison.Ordinal);
        Assert.Matches("Last used</dt>\\s*<dd[^>]*>\\w{3}, \\w{3} \\d+ \\d{4} \\d{2}:\\d{2}:\\d{2} UTC", page);
        Assert.DoesNotContain(token, page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changes_need_sudo_mode()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        await web.CreateFineGrainedTokenAsync("guarded");
        var id = await NewestTokenIdAsync(web);
        Server.Clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        foreach (var path in new[] { NewPage, $"{ListPage}/{id}/regenerate" })
        {
            using var response = await web.Http.GetAsync(path.TrimStart('/'));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/sessions/sudo", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
        // The token page itself can be read; changing it asks for the password first.
        using var update = await web.PostFormAsync($"{ListPage}/{id}", Fields("renamed"));
        Assert.Equal(HttpStatusCode.Redirect, update.StatusCode);
        Assert.StartsWith("/sessions/sudo", update.Headers.Location?.OriginalString, StringComparison.Ordinal);
        var (_, page) = await web.GetAsync($"{ListPage}/{id}");
        Assert.Contains("data-token-name>guarded</h2>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repeated_or_oddly_shaped_permission_fields_are_read_without_a_server_error()
    {
        var (_, web) = await OwnerAsync();
        using var _ = web;
        // The same permission twice: the first value counts.
        using (var twice = await web.PostFormAsync(NewPage, Fields("twice", "all", "30", ("Input.Permissions[contents]", "write"), ("Input.Permissions[contents]", "read"))))
            Assert.Equal(HttpStatusCode.Redirect, twice.StatusCode);
        // The model binder's indexed dictionary form, with a repeated key, is simply not a permission field.
        using var indexed = await web.PostFormAsync(NewPage, Fields("indexed", "all", "30",
            ("Input.Permissions[0].Key", "contents"), ("Input.Permissions[0].Value", "write"),
            ("Input.Permissions[1].Key", "contents"), ("Input.Permissions[1].Value", "read")));
        var (status, text) = await ReadAsync(indexed);
        Assert.True(status is HttpStatusCode.Redirect or HttpStatusCode.UnprocessableEntity, $"{status}: {text}");
    }
}
