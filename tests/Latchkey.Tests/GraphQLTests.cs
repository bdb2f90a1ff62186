using System.Net;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;

namespace Latchkey.Tests;

/// <summary>
/// POST /api/graphql, the queries and mutations gh 2.x sends, with classic and fine-grained tokens
/// through the same decision table as REST; GitHub's error shape (HTTP 200, errors[].type NOT_FOUND);
/// never HTML, never 500; depth limited.
/// </summary>
public sealed class GraphQLTests(GraphQLTests.World world) : IClassFixture<GraphQLTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        public LatchkeyServer Server => _fixture.Server;
        public Dictionary<string, string> Tokens { get; } = [];

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using (var web = Server.NewBrowserSession())
            {
                await web.SignUpAsync("octo", "graphql tests passphrase");
                await web.CreateRepositoryAsync("secret", isPrivate: true, addReadme: true);
                await web.CreateRepositoryAsync("open", isPrivate: false, addReadme: true);
            }
            using (var web = Server.NewBrowserSession())
                await web.SignUpAsync("mallory", "graphql tests passphrase");
            Tokens["repo"] = await Server.IssueClassicAsync("octo", ["repo", "read:org"]);
            Tokens["public"] = await Server.IssueClassicAsync("octo", ["public_repo"]);
            Tokens["none"] = await Server.IssueClassicAsync("octo", []);
            Tokens["delete"] = await Server.IssueClassicAsync("octo", ["repo", "delete_repo"]);
            Tokens["fine"] = await Server.IssueAsync("octo", RepositoryAccess.All, permissions: FineGrainedTokens.Permissions(
                (FineGrainedPermissions.Contents, PermissionLevel.Read), (FineGrainedPermissions.Administration, PermissionLevel.Write)));
            Tokens["fine-public"] = await Server.IssueAsync("octo", RepositoryAccess.PublicOnly);
            Tokens["mallory"] = await Server.IssueClassicAsync("mallory", ["repo"]);
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, string Raw)> QueryAsync(string? token, string query, object? variables = null)
    {
        using var http = new HttpClient { BaseAddress = world.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/graphql")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query, variables }), Encoding.UTF8, "application/json"),
        };
        if (token is not null)
            request.Headers.TryAddWithoutValidation("Authorization", "bearer " + world.Tokens[token]);
        using var response = await http.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(raw).RootElement.Clone(), raw);
    }

    private static string? ErrorType(JsonElement body) =>
        body.TryGetProperty("errors", out var errors) ? errors[0].GetProperty("type").GetString() : null;

    [Theory]
    [InlineData("repo")]
    [InlineData("fine")]
    [InlineData("none")]
    public async Task Viewer_is_the_tokens_owner(string token)
    {
        var (status, body, raw) = await QueryAsync(token, "query UserCurrent{viewer{login}}");
        Assert.True(status == HttpStatusCode.OK, raw);
        Assert.Equal("octo", body.GetProperty("data").GetProperty("viewer").GetProperty("login").GetString());
    }

    /// <summary>The documents gh 2.23 sends, byte for byte (captured from the Debian binary).</summary>
    [Fact]
    public async Task The_documents_gh_sends_are_answered_as_gh_decodes_them()
    {
        // gh decodes UserCurrent and Repository_fields strictly: exactly the selection, nothing more.
        var (_, _, current) = await QueryAsync("repo", "query UserCurrent{viewer{login}}");
        Assert.Equal("{\"data\":{\"viewer\":{\"login\":\"octo\"}}}", current);
        var (_, fields, _) = await QueryAsync("repo", "query Repository_fields{Repository: __type(name: \"Repository\"){fields(includeDeprecated: true){name}}}");
        Assert.Equal(["Repository"], fields.GetProperty("data").EnumerateObject().Select(p => p.Name));

        const string Clone = "\n\tfragment repo on Repository {\n\t\tid\n\t\tname\n\t\towner { login }\n\t\thasIssuesEnabled\n\t\tdescription\n\t\thasWikiEnabled\n\t\tviewerPermission\n\t\tdefaultBranchRef {\n\t\t\tname\n\t\t}\n\t}\n\n\tquery RepositoryInfo($owner: String!, $name: String!) {\n\t\trepository(owner: $owner, name: $name) {\n\t\t\t...repo\n\t\t\tparent {\n\t\t\t\t...repo\n\t\t\t}\n\t\t\tmergeCommitAllowed\n\t\t\trebaseMergeAllowed\n\t\t\tsquashMergeAllowed\n\t\t}\n\t}";
        var (_, clone, cloneRaw) = await QueryAsync("repo", Clone, new { name = "secret", owner = "octo" });
        Assert.False(clone.TryGetProperty("errors", out _), cloneRaw);
        Assert.Equal("octo", clone.GetProperty("data").GetProperty("repository").GetProperty("owner").GetProperty("login").GetString());
        Assert.Equal("ADMIN", clone.GetProperty("data").GetProperty("repository").GetProperty("viewerPermission").GetString());

        // gh repo list without an owner: viewer aliased as repositoryOwner, a single OWNER for the list argument.
        const string List = "query RepositoryList($perPage:Int!,$endCursor:String,$privacy:RepositoryPrivacy,$fork:Boolean) {\n\t\trepositoryOwner: viewer {\n\t\t\tlogin\n\t\t\trepositories(first: $perPage, after: $endCursor, privacy: $privacy, isFork: $fork, ownerAffiliations: OWNER, orderBy: { field: PUSHED_AT, direction: DESC }) {\n\t\t\t\tnodes{nameWithOwner,description,isPrivate,isFork,isArchived,createdAt,pushedAt,visibility}\n\t\t\t\ttotalCount\n\t\t\t\tpageInfo{hasNextPage,endCursor}\n\t\t\t}\n\t\t}\n\t}";
        var (_, list, listRaw) = await QueryAsync("repo", List, new { perPage = 30, privacy = "PRIVATE" });
        Assert.False(list.TryGetProperty("errors", out _), listRaw);
        var nodes = list.GetProperty("data").GetProperty("repositoryOwner").GetProperty("repositories").GetProperty("nodes").EnumerateArray().ToList();
        Assert.Contains(nodes, n => n.GetProperty("nameWithOwner").GetString() == "octo/secret");
        Assert.All(nodes, n => Assert.True(n.GetProperty("isPrivate").GetBoolean()));

        var (_, missing, _) = await QueryAsync("repo", "query RepositoryInfo($owner: String!, $name: String!) {\n\t\trepository(owner: $owner, name: $name) {name,owner{id,login},description}\n\t}", new { name = "missing", owner = "octo" });
        var error = missing.GetProperty("errors")[0];
        Assert.Equal("NOT_FOUND", error.GetProperty("type").GetString());
        Assert.Equal(["repository"], error.GetProperty("path").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Without_a_token_graphql_answers_401_json_and_other_methods_never_a_web_page()
    {
        var (status, body, _) = await QueryAsync(null, "{viewer{login}}");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Requires authentication", body.GetProperty("message").GetString());
        using var http = new HttpClient { BaseAddress = world.Server.BaseAddress };
        using var get = await http.GetAsync("api/graphql");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("repo", "secret", true)]
    [InlineData("fine", "secret", true)]
    [InlineData("public", "secret", false)]
    [InlineData("none", "secret", false)]
    [InlineData("fine-public", "secret", false)]
    [InlineData("mallory", "secret", false)]
    [InlineData("none", "open", true)]
    [InlineData("mallory", "open", true)]
    [InlineData("repo", "missing", false)]
    public async Task Repository_info_is_what_the_caller_may_see_and_not_found_otherwise(string token, string name, bool visible)
    {
        const string Query = """
            query RepositoryInfo($owner: String!, $name: String!) {
              repository(owner: $owner, name: $name) {
                id name nameWithOwner owner { login } description isPrivate visibility url sshUrl
                defaultBranchRef { name } parent { nameWithOwner } viewerPermission isFork isArchived createdAt pushedAt
              }
            }
            """;
        var (status, body, raw) = await QueryAsync(token, Query, new { owner = "octo", name });
        Assert.True(status == HttpStatusCode.OK, raw);
        var repo = body.GetProperty("data").GetProperty("repository");
        if (visible)
        {
            Assert.Equal($"octo/{name}", repo.GetProperty("nameWithOwner").GetString());
            Assert.Equal("main", repo.GetProperty("defaultBranchRef").GetProperty("name").GetString());
            Assert.Equal(JsonValueKind.Null, repo.GetProperty("parent").ValueKind);
            Assert.Equal(token is "mallory" ? "READ" : token is "none" ? "READ" : "ADMIN", repo.GetProperty("viewerPermission").GetString());
            Assert.False(body.TryGetProperty("errors", out _), raw);
        }
        else
        {
            // The private repository is exactly as absent as a missing one: gh prints this message.
            Assert.Equal(JsonValueKind.Null, repo.ValueKind);
            Assert.Equal("NOT_FOUND", ErrorType(body));
            Assert.Equal($"Could not resolve to a Repository with the name 'octo/{name}'.", body.GetProperty("errors")[0].GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task The_repository_type_can_be_introspected_as_gh_does_before_listing()
    {
        var (status, body, raw) = await QueryAsync("repo", "query Repository_fields{Repository: __type(name:\"Repository\"){fields(includeDeprecated:true){name}}}");
        Assert.True(status == HttpStatusCode.OK, raw);
        var fields = body.GetProperty("data").GetProperty("Repository").GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        foreach (var field in new[] { "nameWithOwner", "description", "isPrivate", "isFork", "isArchived", "updatedAt", "visibility", "defaultBranchRef", "viewerPermission" })
            Assert.Contains(field, fields);
    }

    [Fact]
    public async Task The_owners_repositories_page_with_cursors_and_hide_what_the_token_cannot_see()
    {
        const string Query = """
            query RepositoryList($owner: String!, $perPage: Int!, $endCursor: String) {
              repositoryOwner(login: $owner) {
                login
                repositories(first: $perPage, after: $endCursor, ownerAffiliations: [OWNER], orderBy: { field: NAME, direction: ASC }) {
                  totalCount
                  nodes { nameWithOwner isPrivate visibility updatedAt }
                  pageInfo { hasNextPage endCursor }
                }
              }
            }
            """;
        var seen = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 5; page++)
        {
            var (status, body, raw) = await QueryAsync("repo", Query, new { owner = "octo", perPage = 1, endCursor = cursor });
            Assert.True(status == HttpStatusCode.OK, raw);
            var repositories = body.GetProperty("data").GetProperty("repositoryOwner").GetProperty("repositories");
            seen.AddRange(repositories.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("nameWithOwner").GetString()!));
            var info = repositories.GetProperty("pageInfo");
            if (!info.GetProperty("hasNextPage").GetBoolean())
                break;
            cursor = info.GetProperty("endCursor").GetString();
        }
        Assert.Contains("octo/open", seen);
        Assert.Contains("octo/secret", seen);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);

        var (_, outsider, outsiderRaw) = await QueryAsync("mallory", Query, new { owner = "octo", perPage = 100, endCursor = (string?)null });
        var names = outsider.GetProperty("data").GetProperty("repositoryOwner").GetProperty("repositories").GetProperty("nodes").EnumerateArray()
            .Select(n => n.GetProperty("nameWithOwner").GetString()).ToList();
        Assert.DoesNotContain("octo/secret", names);
        Assert.Contains("octo/open", names);
        Assert.DoesNotContain("secret", outsiderRaw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("repo", "PRIVATE", true)]
    [InlineData("fine", "PRIVATE", true)]
    [InlineData("public", "PUBLIC", true)]
    [InlineData("public", "PRIVATE", false)]
    [InlineData("none", "PUBLIC", false)]
    public async Task Create_repository_follows_the_same_rules_as_rest(string token, string visibility, bool allowed)
    {
        var name = $"gh-{token}-{visibility.ToLowerInvariant()}";
        const string Mutation = """
            mutation RepositoryCreate($input: CreateRepositoryInput!) {
              createRepository(input: $input) { repository { id name owner { login } url isPrivate } }
            }
            """;
        var (status, body, raw) = await QueryAsync(token, Mutation, new { input = new { name, visibility, description = "from gh", hasIssuesEnabled = true, hasWikiEnabled = true } });
        Assert.True(status == HttpStatusCode.OK, raw);
        if (allowed)
        {
            var repo = body.GetProperty("data").GetProperty("createRepository").GetProperty("repository");
            Assert.Equal(name, repo.GetProperty("name").GetString());
            Assert.Equal(visibility == "PRIVATE", repo.GetProperty("isPrivate").GetBoolean());
            var (_, again, _) = await QueryAsync("repo", "query($n:String!){repository(owner:\"octo\",name:$n){isPrivate}}", new { n = name });
            Assert.Equal(visibility == "PRIVATE", again.GetProperty("data").GetProperty("repository").GetProperty("isPrivate").GetBoolean());
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, body.GetProperty("data").GetProperty("createRepository").ValueKind);
            Assert.NotNull(ErrorType(body));
            var (_, check, _) = await QueryAsync("repo", "query($n:String!){repository(owner:\"octo\",name:$n){name}}", new { n = name });
            Assert.Equal("NOT_FOUND", ErrorType(check));
        }
    }

    [Fact]
    public async Task Delete_repository_needs_delete_repo()
    {
        var (_, made, madeRaw) = await QueryAsync("repo", "mutation{createRepository(input:{name:\"doomed\",visibility:PRIVATE}){repository{id}}}");
        var id = made.GetProperty("data").GetProperty("createRepository").GetProperty("repository").GetProperty("id").GetString();
        Assert.False(string.IsNullOrEmpty(id), madeRaw);
        const string Mutation = "mutation($id:ID!){deleteRepository(input:{repositoryId:$id}){clientMutationId}}";

        var (_, refused, refusedRaw) = await QueryAsync("repo", Mutation, new { id });
        Assert.Equal("INSUFFICIENT_SCOPES", ErrorType(refused));
        Assert.Contains("delete_repo", refusedRaw, StringComparison.Ordinal);
        var (_, outsider, _) = await QueryAsync("mallory", Mutation, new { id });
        Assert.Equal("NOT_FOUND", ErrorType(outsider));

        var (_, deleted, deletedRaw) = await QueryAsync("delete", Mutation, new { id });
        Assert.False(deleted.TryGetProperty("errors", out _), deletedRaw);
        var (_, gone, _) = await QueryAsync("repo", "{repository(owner:\"octo\",name:\"doomed\"){name}}");
        Assert.Equal("NOT_FOUND", ErrorType(gone));

        // A fine-grained token deletes with Administration write, as on GitHub; one that reaches only public repositories cannot see it.
        var (_, second, _) = await QueryAsync("repo", "mutation{createRepository(input:{name:\"doomed-too\",visibility:PRIVATE}){repository{id}}}");
        var secondId = second.GetProperty("data").GetProperty("createRepository").GetProperty("repository").GetProperty("id").GetString();
        var (_, hidden, _) = await QueryAsync("fine-public", Mutation, new { id = secondId });
        Assert.Equal("NOT_FOUND", ErrorType(hidden));
        var (_, fineDeleted, fineRaw) = await QueryAsync("fine", Mutation, new { id = secondId });
        Assert.False(fineDeleted.TryGetProperty("errors", out _), fineRaw);
    }

    [Theory]
    [InlineData("fine", true)]
    [InlineData("fine-public", false)]
    [InlineData("none", false)]
    public async Task A_fine_grained_or_scopeless_token_lists_what_it_may_read(string token, bool seesPrivate)
    {
        var (_, body, raw) = await QueryAsync(token, "{repositoryOwner:viewer{repositories(first:100,ownerAffiliations:OWNER){nodes{nameWithOwner}}}}");
        var names = body.GetProperty("data").GetProperty("repositoryOwner").GetProperty("repositories").GetProperty("nodes").EnumerateArray()
            .Select(n => n.GetProperty("nameWithOwner").GetString()).ToList();
        Assert.Contains("octo/open", names);
        Assert.Equal(seesPrivate, names.Contains("octo/secret"));
        Assert.False(body.TryGetProperty("errors", out _), raw);
    }

    [Fact]
    public async Task A_field_outside_the_schema_is_a_graphql_error_naming_it()
    {
        var (status, body, raw) = await QueryAsync("repo", "{viewer{login gists(first:1){nodes{name}}}}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("gists", body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", raw, StringComparison.Ordinal);
        var (_, syntax, syntaxRaw) = await QueryAsync("repo", "{viewer{login");
        Assert.True(syntax.TryGetProperty("errors", out _), syntaxRaw);
    }

    [Fact]
    public async Task A_too_deep_query_is_refused()
    {
        var nested = "{repository(owner:\"octo\",name:\"open\"){" + string.Concat(Enumerable.Repeat("owner{repositories(first:1){nodes{", 6)) + "name"
            + string.Concat(Enumerable.Repeat("}}}", 6)) + "}}";
        var (status, body, raw) = await QueryAsync("repo", nested);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.TryGetProperty("errors", out var errors), raw);
        Assert.Contains("depth", errors[0].GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.False(body.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("repository", out _), raw);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_400_problems_parsing_json()
    {
        using var http = new HttpClient { BaseAddress = world.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/graphql") { Content = new StringContent("{nope", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "token " + world.Tokens["repo"]);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Problems parsing JSON", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
