using System.Net;
using System.Text;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// Deny-by-default, checked on the route table itself: every /api/v3 and git endpoint declares what
/// it needs or says it is anonymous; and what each API endpoint advertises in GitHub's headers is
/// what its enforcement accepts: a token with an advertised scope (or permission) gets through, a
/// token with everything but those is refused.
/// </summary>
public sealed class EndpointDeclarationTests(EndpointDeclarationTests.World world) : IClassFixture<EndpointDeclarationTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();
        private readonly Dictionary<string, string> _tokens = [];
        private int _counter;

        public LatchkeyServer Server => _fixture.Server;

        public string Unique() => "d" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using var alice = Server.NewBrowserSession();
            // The first account is the site administrator: the admin endpoints are alice's too.
            await alice.SignUpAsync("alice", "declared requirements passphrase");
            await alice.CreateRepositoryAsync("priv", isPrivate: true, addReadme: true);
            await alice.CreateRepositoryAsync("pub", isPrivate: false, addReadme: true);
            using var bob = Server.NewBrowserSession();
            await bob.SignUpAsync("bob", "declared requirements passphrase");
        }

        public async Task<string> ClassicAsync(IEnumerable<string> scopes)
        {
            var key = "classic:" + string.Join(',', scopes.Order(StringComparer.Ordinal));
            if (!_tokens.TryGetValue(key, out var token))
                _tokens[key] = token = await Server.IssueClassicAsync("alice", scopes);
            return token;
        }

        public async Task<string> FineGrainedAsync(IReadOnlyDictionary<string, PermissionLevel> permissions)
        {
            var key = "fine:" + string.Join(',', permissions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
            if (!_tokens.TryGetValue(key, out var token))
                _tokens[key] = token = await Server.IssueAsync("alice", RepositoryAccess.All, permissions: permissions);
            return token;
        }

        /// <summary>A new repository of alice's, for calls that use one up (DELETE /repos/…).</summary>
        public async Task<string> FreshRepositoryAsync(bool isPrivate)
        {
            using var scope = Server.Services.CreateScope();
            var alice = await scope.ServiceProvider.GetRequiredService<UserManager<Accounts.User>>().FindByNameAsync("alice");
            var name = Unique();
            var created = await scope.ServiceProvider.GetRequiredService<RepositoryService>().CreateAsync(alice!, name, null, isPrivate, addReadme: true, CancellationToken.None);
            Assert.NotNull(created.Repository);
            return "alice/" + name;
        }

        /// <summary>{commit}, {tree}, {blob} and {tag} in a call's path or body: main's commit, its tree, the README and an annotated tag of it, in <paramref name="repo"/>.</summary>
        public async Task<string> ObjectsAsync(string repo, string text)
        {
            if (!text.Contains("{commit}", StringComparison.Ordinal) && !text.Contains("{tree}", StringComparison.Ordinal)
                && !text.Contains("{blob}", StringComparison.Ordinal) && !text.Contains("{tag}", StringComparison.Ordinal))
                return text;
            using var scope = Server.Services.CreateScope();
            var found = await scope.ServiceProvider.GetRequiredService<RepositoryService>().FindAsync(repo.Split('/')[0], repo.Split('/')[1], CancellationToken.None);
            var store = scope.ServiceProvider.GetRequiredService<RepositoryStore>();
            var commit = (await store.CommitAsync(found!, "main", CancellationToken.None))!;
            var blob = await store.ObjectIdAsync(found!, "main", "README.md", CancellationToken.None);
            var tag = await scope.ServiceProvider.GetRequiredService<GitObjects>().WriteTagAsync(found!, "declared", "m", commit.Sha, "commit",
                new GitSignature("alice", "alice@example.test", Server.Clock.GetUtcNow()), CancellationToken.None);
            return text.Replace("{commit}", commit.Sha, StringComparison.Ordinal).Replace("{tree}", commit.Tree, StringComparison.Ordinal)
                .Replace("{blob}", blob, StringComparison.Ordinal).Replace("{tag}", tag.Sha, StringComparison.Ordinal);
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    private static readonly string[] AllScopes = Scopes.All.Select(s => s.Name).ToArray();

    private static readonly Dictionary<string, PermissionLevel> EveryPermission =
        FineGrainedPermissions.All.ToDictionary(p => p.Key, _ => PermissionLevel.Write);

    /// <summary>How a call is made: its route pattern (as in the route table), method, path and body. {repo} is the target repository, {n} a fresh name.</summary>
    public sealed record ApiCall(string Method, string Pattern, string Path, string? Body = null, bool ConsumesRepository = false, bool HasRepository = true);

    private static readonly ApiCall[] Calls =
    [
        new("GET", "/api/v3/user", "user", HasRepository: false),
        new("PATCH", "/api/v3/user", "user", "{\"name\":\"x\"}", HasRepository: false),
        new("GET", "/api/v3/user/emails", "user/emails", HasRepository: false),
        new("GET", "/api/v3/user/repos", "user/repos", HasRepository: false),
        new("POST", "/api/v3/user/repos", "user/repos", "{\"name\":\"{n}\"}", HasRepository: false),
        new("GET", "/api/v3/user/token", "user/token", HasRepository: false),
        new("GET", "/api/v3/user/token/usage", "user/token/usage", HasRepository: false),
        // The longest overlap: the shared tokens of this class keep working after they rotate (a second rotation answers 409).
        new("POST", "/api/v3/user/token/rotate", "user/token/rotate", "{\"overlap_seconds\":86400}", HasRepository: false),
        // Narrowing to loopback, where every request of this class comes from: the shared tokens keep working.
        new("PATCH", "/api/v3/user/token", "user/token", "{\"allowed_networks\":[\"127.0.0.0/8\"]}", HasRepository: false),
        new("GET", "/api/v3/user/repository_invitations/", "user/repository_invitations", HasRepository: false),
        new("PATCH", "/api/v3/user/repository_invitations/{id:long}", "user/repository_invitations/999999", HasRepository: false),
        new("DELETE", "/api/v3/user/repository_invitations/{id:long}", "user/repository_invitations/999999", HasRepository: false),
        new("POST", "/api/v3/admin/users", "admin/users", "{\"login\":\"{n}\",\"email\":\"{n}@example.com\"}", HasRepository: false),
        new("DELETE", "/api/v3/admin/users/{username}", "admin/users/nobody-{n}", HasRepository: false),
        new("GET", "/api/v3/metrics", "metrics", HasRepository: false),
        new("GET", "/api/v3/admin/personal-access-tokens", "admin/personal-access-tokens", HasRepository: false),
        new("POST", "/api/v3/admin/personal-access-tokens", "admin/personal-access-tokens", "{\"action\":\"revoke\",\"pat_ids\":[999999]}", HasRepository: false),
        new("GET", "/api/v3/admin/personal-access-tokens/{id:long}/usage", "admin/personal-access-tokens/999999/usage", HasRepository: false),
        new("GET", "/api/v3/admin/token-policies", "admin/token-policies", HasRepository: false),
        new("GET", "/api/v3/admin/audit-log", "admin/audit-log", HasRepository: false),
        // The built-in limit made explicit: nothing this class's tokens do changes.
        new("PUT", "/api/v3/admin/token-policies", "admin/token-policies", "{\"fine_grained\":{\"max_lifetime_days\":366}}", HasRepository: false),
        new("PUT", "/api/v3/users/{username}/suspended", "users/nobody-{n}/suspended", HasRepository: false),
        new("DELETE", "/api/v3/users/{username}/suspended", "users/nobody-{n}/suspended", HasRepository: false),
        new("GET", "/api/v3/repos/{owner}/{repo}", "repos/{repo}"),
        new("PATCH", "/api/v3/repos/{owner}/{repo}", "repos/{repo}", "{\"description\":\"{n}\"}"),
        new("DELETE", "/api/v3/repos/{owner}/{repo}", "repos/{repo}", ConsumesRepository: true),
        new("GET", "/api/v3/repos/{owner}/{repo}/readme", "repos/{repo}/readme"),
        new("GET", "/api/v3/repos/{owner}/{repo}/contents/{**path}", "repos/{repo}/contents/README.md"),
        new("PUT", "/api/v3/repos/{owner}/{repo}/contents/{**path}", "repos/{repo}/contents/{n}.txt", "{\"message\":\"m\",\"content\":\"aGk=\"}"),
        new("DELETE", "/api/v3/repos/{owner}/{repo}/contents/{**path}", "repos/{repo}/contents/README.md", "{\"message\":\"m\",\"sha\":\"0000000000000000000000000000000000000000\"}"),
        new("GET", "/api/v3/repos/{owner}/{repo}/branches", "repos/{repo}/branches"),
        new("GET", "/api/v3/repos/{owner}/{repo}/branches/{**branch}", "repos/{repo}/branches/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/tarball/{**ref}", "repos/{repo}/tarball/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/zipball/{**ref}", "repos/{repo}/zipball/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/commits", "repos/{repo}/commits"),
        new("GET", "/api/v3/repos/{owner}/{repo}/commits/{**reference}", "repos/{repo}/commits/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/refs", "repos/{repo}/git/refs"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/refs/{**ref}", "repos/{repo}/git/refs/heads/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/ref/{**ref}", "repos/{repo}/git/ref/heads/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/matching-refs/{**ref}", "repos/{repo}/git/matching-refs/heads"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/commits/{sha}", "repos/{repo}/git/commits/{commit}"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/trees/{**sha}", "repos/{repo}/git/trees/main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/blobs/{sha}", "repos/{repo}/git/blobs/{blob}"),
        new("GET", "/api/v3/repos/{owner}/{repo}/git/tags/{sha}", "repos/{repo}/git/tags/{tag}"),
        new("GET", "/api/v3/repos/{owner}/{repo}/tags", "repos/{repo}/tags"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/blobs", "repos/{repo}/git/blobs", "{\"content\":\"{n}\"}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/trees", "repos/{repo}/git/trees", "{\"tree\":[{\"path\":\"{n}.txt\",\"mode\":\"100644\",\"type\":\"blob\",\"content\":\"x\"}]}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/commits", "repos/{repo}/git/commits", "{\"message\":\"{n}\",\"tree\":\"{tree}\"}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/tags", "repos/{repo}/git/tags", "{\"tag\":\"{n}\",\"message\":\"m\",\"object\":\"{commit}\",\"type\":\"commit\"}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/refs", "repos/{repo}/git/refs", "{\"ref\":\"refs/heads/{n}\",\"sha\":\"{commit}\"}"),
        new("PATCH", "/api/v3/repos/{owner}/{repo}/git/refs/{**ref}", "repos/{repo}/git/refs/heads/main", "{\"sha\":\"{commit}\"}"),
        new("DELETE", "/api/v3/repos/{owner}/{repo}/git/refs/{**ref}", "repos/{repo}/git/refs/tags/{n}"),
        new("GET", "/api/v3/repos/{owner}/{repo}/compare/{**basehead}", "repos/{repo}/compare/main...main"),
        new("GET", "/api/v3/repos/{owner}/{repo}/collaborators", "repos/{repo}/collaborators"),
        new("PUT", "/api/v3/repos/{owner}/{repo}/collaborators/{username}", "repos/{repo}/collaborators/bob", "{\"permission\":\"pull\"}"),
        new("DELETE", "/api/v3/repos/{owner}/{repo}/collaborators/{username}", "repos/{repo}/collaborators/bob"),
    ];

    /// <summary>The anonymous endpoints, named, so that a new one is a decision someone made.</summary>
    private static readonly string[] ExpectedAnonymous =
    [
        "GET /api/v3/", "GET /api/v3/meta", "GET /api/v3/rate_limit", "GET /api/v3/users/{username}", "GET /api/v3/users/{username}/repos",
        "POST /api/v3/credentials/revoke", "* /api/v3/{*path:nonfile}", "GET /api/{documentName}/openapi.json",
        // Only to say that GraphQL is POST (405 JSON, never a web page).
        "GET /api/graphql", "PUT /api/graphql", "PATCH /api/graphql", "DELETE /api/graphql",
    ];

    private static readonly string[] GitRoutes = ["/info/refs", "/git-upload-pack", "/git-receive-pack"];

    /// <summary>The Git LFS door: batch, transfers and locks under {owner}/{repo}/info/lfs/.</summary>
    private static bool IsGitRoute(string raw) => GitRoutes.Any(g => raw.EndsWith(g, StringComparison.Ordinal)) || raw.Contains("/info/lfs/", StringComparison.Ordinal);

    private List<(string Name, Microsoft.AspNetCore.Http.Endpoint Endpoint)> GuardedEndpoints() =>
        world.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api/", StringComparison.Ordinal) || IsGitRoute(raw)))
            .SelectMany(e => Methods(e).Select(m => ($"{m} {e.RoutePattern.RawText}", (Microsoft.AspNetCore.Http.Endpoint)e)))
            .ToList();

    private static IEnumerable<string> Methods(Microsoft.AspNetCore.Http.Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : ["*"];

    [Fact]
    public void Every_api_and_git_endpoint_declares_a_requirement_or_anonymous_access()
    {
        Assert.IsType<SignedInRequirement>(Authorizer.DeclaredBy(GuardedEndpoints().Single(e => e.Name == "POST /api/graphql").Endpoint));
        var endpoints = GuardedEndpoints();
        Assert.True(endpoints.Count > 30, $"Only {endpoints.Count} endpoints found:\n{string.Join('\n', endpoints.Select(e => e.Name))}");

        var undeclared = endpoints.Where(e => Authorizer.DeclaredBy(e.Endpoint) is null && !Authorizer.IsAnonymous(e.Endpoint)).Select(e => e.Name).ToList();
        Assert.True(undeclared.Count == 0, "Endpoints that declare neither a requirement nor anonymous access:\n" + string.Join('\n', undeclared));

        var anonymous = endpoints.Where(e => Authorizer.IsAnonymous(e.Endpoint)).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ExpectedAnonymous.Order(StringComparer.Ordinal), anonymous);

        var both = endpoints.Where(e => Authorizer.DeclaredBy(e.Endpoint) is not null && Authorizer.IsAnonymous(e.Endpoint)).Select(e => e.Name).ToList();
        Assert.True(both.Count == 0, "Endpoints that are both anonymous and guarded:\n" + string.Join('\n', both));

        var gitDoor = endpoints.Where(e => IsGitRoute(e.Name)).ToList();
        Assert.Contains(gitDoor, e => e.Name == "POST /{owner}/{repo}/info/lfs/objects/batch");
        foreach (var git in gitDoor)
            Assert.IsType<RepositoryRequirement>(Authorizer.DeclaredBy(git.Endpoint));
    }

    [Fact]
    public void Every_guarded_api_endpoint_is_driven_by_the_advertised_scopes_test()
    {
        var covered = Calls.Select(c => $"{c.Method} {c.Pattern}").ToHashSet(StringComparer.Ordinal);
        var missing = GuardedEndpoints()
            .Where(e => e.Name.Contains(" /api/v3", StringComparison.Ordinal) && Authorizer.DeclaredBy(e.Endpoint) is not null && !covered.Contains(e.Name))
            .Select(e => e.Name).ToList();
        Assert.True(missing.Count == 0, "Guarded endpoints without a call in EndpointDeclarationTests.Calls:\n" + string.Join('\n', missing));
    }

    public static TheoryData<string, string, bool> CallsAndTargets()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var call in Calls)
        {
            data.Add(call.Method, call.Pattern, true);
            if (call.HasRepository)
                data.Add(call.Method, call.Pattern, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CallsAndTargets))]
    public async Task Advertised_scopes_are_the_ones_enforcement_accepts(string method, string pattern, bool privateTarget)
    {
        var call = Calls.Single(c => c.Method == method && c.Pattern == pattern);
        var readsPublic = call.HasRepository && !privateTarget && method == "GET";

        var (full, response) = await SendAsync(call, privateTarget, await world.ClassicAsync(AllScopes));
        Assert.True(full is not (401 or 403), $"{method} {call.Path} with every scope answered {full}");
        var accepted = Header(response, "X-Accepted-OAuth-Scopes");

        foreach (var scope in accepted)
        {
            // public_repo reaches public repositories only, as on GitHub; and a private repository is
            // seen with repo, so there an advertised scope (delete_repo) is tried together with it.
            if (privateTarget && scope == Scopes.PublicRepo)
                continue;
            string[] granted = privateTarget && call.HasRepository ? [scope, Scopes.Repo] : [scope];
            var (status, body) = await SendAsync(call, privateTarget, await world.ClassicAsync(granted.Distinct()));
            Assert.True(status == full, $"{method} {call.Path} advertises {scope}, but a token with [{string.Join(", ", granted.Distinct())}] answered {status} (every scope: {full}): {body}");
        }
        if (accepted.Count > 0 && !readsPublic)
        {
            var lacking = AllScopes.Where(s => !accepted.Contains(s) && !accepted.Any(a => Scopes.Find(a)?.Parent == s)).ToArray();
            var (status, body) = await SendAsync(call, privateTarget, await world.ClassicAsync(lacking));
            Assert.True(status is 401 or 403 or 404 && status != full,
                $"{method} {call.Path} advertises {string.Join(", ", accepted)}, but a token with [{string.Join(", ", lacking)}] answered {status}: {body}");
        }

        var (fullFine, fineResponse) = await SendAsync(call, privateTarget, await world.FineGrainedAsync(EveryPermission));
        var permissions = Header(fineResponse, "X-Accepted-GitHub-Permissions", ',');
        if (permissions.Count == 0)
            return;
        Assert.True(fullFine is not (401 or 403), $"{method} {call.Path} with every permission answered {fullFine}");
        var exact = permissions.Select(p => p.Split('=')).ToDictionary(p => p[0], p => FineGrainedPermissions.ParseLevel(p[1])!.Value);
        var (exactStatus, exactBody) = await SendAsync(call, privateTarget, await world.FineGrainedAsync(exact));
        Assert.True(exactStatus == fullFine, $"{method} {call.Path} advertises {string.Join(",", permissions)}, but a token with just them answered {exactStatus} (every permission: {fullFine}): {exactBody}");
        // Metadata read is every fine-grained token's: there is no token lacking it.
        if (!readsPublic && !exact.Keys.All(k => k == FineGrainedPermissions.Metadata))
        {
            var others = EveryPermission.Where(p => !exact.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => p.Value);
            var (status, body) = await SendAsync(call, privateTarget, await world.FineGrainedAsync(others));
            Assert.True(status is 401 or 403 or 404 && status != fullFine,
                $"{method} {call.Path} advertises {string.Join(",", permissions)}, but a token with every other permission answered {status}: {body}");
        }
    }

    private static List<string> Header(Reply response, string name, char separator = ',') =>
        response.Headers.TryGetValue(name, out var value)
            ? value.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : [];

    private async Task<(int Status, Reply Response)> SendAsync(ApiCall call, bool privateTarget, string token)
    {
        var repo = call.ConsumesRepository ? await world.FreshRepositoryAsync(privateTarget) : privateTarget ? "alice/priv" : "alice/pub";
        var n = world.Unique();
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), world.Server.Url("api/v3/" + (await world.ObjectsAsync(repo, call.Path)).Replace("{repo}", repo, StringComparison.Ordinal).Replace("{n}", n, StringComparison.Ordinal)));
        request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
        if (call.Body is not null)
            request.Content = new StringContent((await world.ObjectsAsync(repo, call.Body)).Replace("{n}", n, StringComparison.Ordinal), Encoding.UTF8, "application/json");
        // The endpoint's own answer: a redirect (tarball, zipball) is not followed.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.SendAsync(request);
        var reply = new Reply(response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase),
            await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, reply);
    }

    /// <summary>What a test reads of a response: its headers and body.</summary>
    public sealed record Reply(IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public override string ToString() => Body;
    }
}
