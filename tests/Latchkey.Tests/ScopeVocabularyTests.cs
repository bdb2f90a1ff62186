using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// GitHub's whole scope vocabulary, as tools expect it: gh asks for read:org, VS Code and Git
/// Credential Manager links ask for repo,gist,workflow. Scopes this server has no feature for are
/// granted, reported in X-OAuth-Scopes and marked on the form, and give access to nothing.
/// </summary>
public sealed partial class ScopeVocabularyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private LatchkeyServer Server => fixture.Server;

    private async Task<(WebSession Web, string User)> SignedInAsync()
    {
        var user = fixture.NewUsername("vocab");
        // The first account on a site administers it; these tests speak of everyone else, whichever runs first.
        if (user == "vocab1")
        {
            using var first = Server.NewBrowserSession();
            await first.SignUpAsync("vocabadmin", "scope vocabulary passphrase");
        }
        var web = Server.NewBrowserSession();
        await web.SignUpAsync(user, "scope vocabulary passphrase");
        return (web, user);
    }

    [Fact]
    public async Task Scopes_gh_and_vs_code_ask_for_are_granted_and_reported_as_granted()
    {
        var (web, user) = await SignedInAsync();
        using var _ = web;
        var token = await web.CreateTokenAsync("gh", ["repo", "read:org", "gist", "workflow"]);

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + token);
        // gh reads X-OAuth-Scopes from GET /api/v3/ and wants repo and read:org there.
        using var root = await http.GetAsync("api/v3/");
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("repo, workflow, read:org, gist", string.Join(",", root.Headers.GetValues("X-OAuth-Scopes")));
        using var me = await http.GetAsync("api/v3/user");
        Assert.Equal("repo, workflow, read:org, gist", string.Join(",", me.Headers.GetValues("X-OAuth-Scopes")));
        Assert.Contains($"\"login\":\"{user}\"", await me.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scope_for_a_feature_this_server_lacks_gives_access_to_nothing()
    {
        var (web, user) = await SignedInAsync();
        using var _ = web;
        await web.CreateRepositoryAsync("secret", isPrivate: true, addReadme: true);
        await web.CreateRepositoryAsync("open", isPrivate: false, addReadme: true);
        var token = await web.CreateTokenAsync("unused", ["gist", "workflow", "admin:org", "notifications", "user:follow"]);

        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + token);
        using (var hidden = await http.GetAsync($"api/v3/repos/{user}/secret"))
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        using (var write = await http.PatchAsync($"api/v3/repos/{user}/open", new StringContent("{\"description\":\"x\"}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        using (var emails = await http.GetAsync("api/v3/user/emails"))
            Assert.Equal(HttpStatusCode.NotFound, emails.StatusCode);
        using var git = new GitClient();
        var clone = await git.CloneAsync(Server.Url($"{user}/secret.git"), "secret", user, token);
        Assert.False(clone.Succeeded, clone.ToString());
    }

    [Fact]
    public async Task The_form_offers_the_whole_tree_and_marks_what_guards_nothing_yet()
    {
        // A server of its own, whose first account (the administrator) is someone else.
        await using var server = await LatchkeyServer.StartAsync();
        using (var admin = server.NewBrowserSession())
            await admin.SignUpAsync("root", "scope vocabulary passphrase");
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("plain", "scope vocabulary passphrase");
        var (status, page) = await web.GetAsync("/settings/tokens/new");
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var scope in new[] { "repo", "read:org", "gist", "workflow", "admin:gpg_key", "read:ssh_signing_key" })
            Assert.Contains($"value=\"{scope}\"", page, StringComparison.Ordinal);
        Assert.Matches(@"Create gists</span>\s*<span class=""Label Label--secondary ml-1 scope-unused"">not used on this server yet</span>", page);
        Assert.DoesNotMatch(@"Full control of private repositories</span>\s*<span class=""Label", page);
        // Administrators-only scopes are not offered to others, and are refused if sent anyway.
        Assert.DoesNotContain("value=\"admin:enterprise\"", page, StringComparison.Ordinal);
        using var crafted = await web.PostFormAsync("/settings/tokens/new",
            [new("Input.Note", "x"), new("Input.Expiration", "30"), new("Input.Scopes", "read:enterprise")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, crafted.StatusCode);
        Assert.Contains("Only site administrators may grant the read:enterprise scope.", await crafted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefilled_new_token_link_ticks_the_scopes_and_fills_the_note_and_creates_nothing()
    {
        var (web, _) = await SignedInAsync();
        using var __ = web;
        var (status, page) = await web.GetAsync("/settings/tokens/new?scopes=repo,gist,read:org,not-a-scope,site_admin&description=VS%20Code");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["gist", "read:org", "repo"], Checked(page).Where(s => s is "repo" or "gist" or "read:org" or "not-a-scope" or "site_admin").Order(StringComparer.Ordinal));
        // repo's children are ticked with it, as on GitHub; nothing else is.
        Assert.Equal(["gist", "public_repo", "read:org", "repo", "repo:invite", "repo:status", "repo_deployment", "security_events"], Checked(page).Order(StringComparer.Ordinal));
        Assert.Contains("id=\"token-note\" name=\"Input.Note\" value=\"VS Code\"", page, StringComparison.Ordinal);
        var (_, list) = await web.GetAsync("/settings/tokens");
        Assert.DoesNotContain("VS Code", list, StringComparison.Ordinal);
    }

    private static List<string> Checked(string page) =>
        CheckedBox().Matches(page).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"<input type=""checkbox"" name=""Input.Scopes"" value=""([^""]+)"" checked=""checked""")]
    private static partial Regex CheckedBox();
}
