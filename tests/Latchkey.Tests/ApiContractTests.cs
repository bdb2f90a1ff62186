using System.Net;
using System.Text.Json;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>The API's header contract: rate limits, pagination, scopes, and JSON errors everywhere.</summary>
public sealed class ApiContractTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "api contract passphrase";
    private LatchkeyServer Server => fixture.Server;

    private async Task<(string Name, HttpClient Http)> TokenClientAsync(params string[] scopes)
    {
        var name = fixture.NewUsername("contract");
        using var web = Server.NewBrowserSession();
        await web.SignUpAsync(name, Password);
        var token = await web.CreateTokenAsync("api", scopes);
        var http = new HttpClient { BaseAddress = new Uri(Server.BaseAddress, "api/v3/") };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + token);
        return (name, http);
    }

    [Fact]
    public async Task Lists_are_paged_with_link_headers()
    {
        var (name, http) = await TokenClientAsync("repo");
        using var _ = http;
        for (var i = 0; i < 5; i++)
        {
            using var created = await http.PostAsync("user/repos", new StringContent($"{{\"name\":\"r{i}\"}}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var first = await http.GetAsync("user/repos?per_page=2");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var link = first.Headers.GetValues("Link").Single();
        Assert.Contains("per_page=2&page=2>; rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("per_page=2&page=3>; rel=\"last\"", link, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await first.Content.ReadAsStringAsync()))
            Assert.Equal(["r0", "r1"], json.RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray());

        using var last = await http.GetAsync("user/repos?per_page=2&page=3");
        Assert.Contains("rel=\"prev\"", last.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await last.Content.ReadAsStringAsync()))
            Assert.Equal(["r4"], json.RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray());

        foreach (var bad in new[] { "per_page=0", "per_page=101", "per_page=x", "page=0", "visibility=secret" })
        {
            using var response = await http.GetAsync($"user/repos?{bad}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains("\"message\":\"Validation Failed\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_call_carries_the_rate_limit_and_anonymous_callers_get_60_an_hour()
    {
        var (_, http) = await TokenClientAsync("repo");
        using var _ = http;
        using (var response = await http.GetAsync("user"))
        {
            Assert.Equal("5000", response.Headers.GetValues("x-ratelimit-limit").Single());
            Assert.Equal("4999", response.Headers.GetValues("x-ratelimit-remaining").Single());
            Assert.Equal("1", response.Headers.GetValues("x-ratelimit-used").Single());
            Assert.Equal("core", response.Headers.GetValues("x-ratelimit-resource").Single());
            Assert.True(response.Headers.CacheControl is { Private: true, MaxAge.TotalSeconds: 60 }, response.Headers.CacheControl?.ToString());
            Assert.Contains("Authorization", response.Headers.Vary);
            Assert.True(long.Parse(response.Headers.GetValues("x-ratelimit-reset").Single(), System.Globalization.CultureInfo.InvariantCulture) > Server.Clock.GetUtcNow().ToUnixTimeSeconds());
        }

        using var anonymous = new HttpClient(WebSession.Handler(null, IPAddress.Parse("127.0.0.20"))) { BaseAddress = new Uri(Server.BaseAddress, "api/v3/") };
        for (var i = 0; i < 60; i++)
        {
            using var ok = await anonymous.GetAsync("users/nobody-at-all");
            Assert.Equal(HttpStatusCode.NotFound, ok.StatusCode);
        }
        using var limited = await anonymous.GetAsync("users/nobody-at-all");
        Assert.Equal(HttpStatusCode.Forbidden, limited.StatusCode);
        Assert.Equal("0", limited.Headers.GetValues("x-ratelimit-remaining").Single());
        Assert.Contains("API rate limit exceeded for 127.0.0.20.", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stillFree = await anonymous.GetAsync("rate_limit");
        Assert.Equal(HttpStatusCode.OK, stillFree.StatusCode);

        Server.Clock.Advance(TimeSpan.FromHours(1));
        using var later = await anonymous.GetAsync("users/nobody-at-all");
        Assert.Equal(HttpStatusCode.NotFound, later.StatusCode);
    }

    [Fact]
    public async Task Private_repositories_are_404_to_others_and_scopes_are_named_when_missing()
    {
        var (owner, ownerHttp) = await TokenClientAsync("repo");
        using var _ = ownerHttp;
        using (var created = await ownerHttp.PostAsync("user/repos", new StringContent("{\"name\":\"secret\",\"private\":true}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var (_, otherHttp) = await TokenClientAsync("repo");
        using var __ = otherHttp;
        using (var hidden = await otherHttp.GetAsync($"repos/{owner}/secret"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            Assert.Contains("\"message\":\"Not Found\"", await hidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var anonymous = new HttpClient { BaseAddress = new Uri(Server.BaseAddress, "api/v3/") })
        using (var hidden = await anonymous.GetAsync($"repos/{owner}/secret"))
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);

        using (var delete = await ownerHttp.DeleteAsync($"repos/{owner}/secret"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
            Assert.Equal("delete_repo", delete.Headers.GetValues("X-Accepted-OAuth-Scopes").Single());
            Assert.Contains("needs the delete_repo scope", await delete.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var garbage = await ownerHttp.PatchAsync($"repos/{owner}/secret", new StringContent("{oops", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
            Assert.Contains("Problems parsing JSON", await garbage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var unknown = await ownerHttp.GetAsync("no/such/endpoint/here"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/json", unknown.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task An_openapi_document_describes_the_api()
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using var response = await http.GetAsync("api/v3/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.", json.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = json.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v3/user/repos", paths);
        Assert.Contains("/api/v3/repos/{owner}/{repo}", paths);
        Assert.Contains("/api/v3/repos/{owner}/{repo}/contents/{path}", paths);
        Assert.DoesNotContain(paths, p => p.Contains("info/refs", StringComparison.Ordinal));

        // Handlers declare their outcomes, so the document says what each answers and in which shape.
        var get = json.RootElement.GetProperty("paths").GetProperty("/api/v3/repos/{owner}/{repo}").GetProperty("get").GetProperty("responses");
        Assert.True(get.GetProperty("200").GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _), get.ToString());
        var create = json.RootElement.GetProperty("paths").GetProperty("/api/v3/user/repos").GetProperty("post").GetProperty("responses");
        Assert.True(create.TryGetProperty("201", out _), create.ToString());
        Assert.True(create.GetProperty("422").GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _), create.ToString());
        var schemas = json.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains(schemas, n => n.Contains("RepositoryDto", StringComparison.Ordinal));
        Assert.Contains(schemas, n => n.Contains("ApiError", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gets_carry_an_etag_and_a_matching_if_none_match_answers_304_for_free()
    {
        var (owner, http) = await TokenClientAsync("repo");
        using var _ = http;
        using (var created = await http.PostAsync("user/repos", new StringContent("{\"name\":\"tagged\",\"private\":true}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var first = await http.GetAsync($"repos/{owner}/tagged");
        var etag = first.Headers.ETag!.ToString();
        var remaining = int.Parse(first.Headers.GetValues("x-ratelimit-remaining").Single(), System.Globalization.CultureInfo.InvariantCulture);

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"repos/{owner}/tagged"))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var cached = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
            Assert.Equal(remaining.ToString(System.Globalization.CultureInfo.InvariantCulture), cached.Headers.GetValues("x-ratelimit-remaining").Single());
            Assert.Equal("", await cached.Content.ReadAsStringAsync());
        }

        using (var patch = await http.PatchAsync($"repos/{owner}/tagged", new StringContent("{\"description\":\"changed\"}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"repos/{owner}/tagged"))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var changed = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.NotEqual(etag, changed.Headers.ETag!.ToString());
        }

        // Someone else replaying the tag learns nothing: the private repository is not there for them.
        var (_, other) = await TokenClientAsync("repo");
        using var __ = other;
        using var replay = new HttpRequestMessage(HttpMethod.Get, $"repos/{owner}/tagged");
        replay.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var hidden = await other.SendAsync(replay);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task Repository_lists_filter_by_affiliation_and_type_and_sort_as_asked()
    {
        var (me, http) = await TokenClientAsync("repo");
        using var _ = http;
        var (other, otherHttp) = await TokenClientAsync("repo");
        using var __ = otherHttp;
        async Task Create(HttpClient client, string body)
        {
            using var created = await client.PostAsync("user/repos", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Server.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        await Create(http, "{\"name\":\"zeta\"}");
        await Create(http, "{\"name\":\"alpha\",\"private\":true}");
        await Create(otherHttp, "{\"name\":\"theirs\",\"private\":true}");
        using (var invite = await otherHttp.PutAsync($"repos/{other}/theirs/collaborators/{me}", new StringContent("{\"permission\":\"push\"}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        using (var invitations = await http.GetAsync("user/repository_invitations"))
        {
            using var json = JsonDocument.Parse(await invitations.Content.ReadAsStringAsync());
            var id = json.RootElement[0].GetProperty("id").GetInt64();
            using var accept = await http.PatchAsync($"user/repository_invitations/{id}", null);
            Assert.Equal(HttpStatusCode.NoContent, accept.StatusCode);
        }

        async Task<string[]> Names(string query)
        {
            using var response = await http.GetAsync("user/repos" + query);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.EnumerateArray().Select(r => r.GetProperty("full_name").GetString()!).ToArray();
        }

        Assert.Equal([$"{me}/alpha", $"{me}/zeta", $"{other}/theirs"], await Names(""));
        Assert.Equal([$"{me}/alpha", $"{me}/zeta"], await Names("?affiliation=owner"));
        Assert.Equal([$"{other}/theirs"], await Names("?affiliation=collaborator"));
        Assert.Equal([$"{other}/theirs"], await Names("?type=member"));
        Assert.Equal([$"{me}/alpha", $"{me}/zeta"], await Names("?type=owner"));
        Assert.Equal([$"{me}/zeta"], await Names("?visibility=public"));
        Assert.Equal([$"{me}/zeta", $"{me}/alpha", $"{other}/theirs"], await Names("?sort=created&direction=asc"));
        Assert.Equal([$"{other}/theirs", $"{me}/alpha", $"{me}/zeta"], await Names("?sort=created"));
        foreach (var bad in new[] { "sort=stars", "direction=up", "type=everyone", "affiliation=friend" })
        {
            using var response = await http.GetAsync($"user/repos?{bad}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_contents_api_refuses_git_internals_and_tokens_in_commit_messages()
    {
        var (me, http) = await TokenClientAsync("repo");
        using var _ = http;
        using (var created = await http.PostAsync("user/repos", new StringContent("{\"name\":\"files\",\"auto_init\":true}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var content = Convert.ToBase64String("x"u8.ToArray());
        using (var inside = await http.PutAsync($"repos/{me}/files/contents/.git/config", new StringContent($"{{\"message\":\"m\",\"content\":\"{content}\"}}", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, inside.StatusCode);
            Assert.Contains("path is not a valid file path", await inside.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var (other, otherHttp) = await TokenClientAsync("repo");
        using var __ = otherHttp;
        var leaked = otherHttp.DefaultRequestHeaders.Authorization!.Parameter!;
        using (var message = await http.PutAsync($"repos/{me}/files/contents/a.txt", new StringContent($"{{\"message\":\"use {leaked}\",\"content\":\"{content}\"}}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Conflict, message.StatusCode);
        using var dead = await otherHttp.GetAsync("user");
        Assert.Equal(HttpStatusCode.Unauthorized, dead.StatusCode);
        Assert.NotNull(other);
    }
}
