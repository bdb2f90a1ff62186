using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Latchkey.Authorization;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>
/// No door is an existence oracle: on every route and method that names a repository (read from the
/// route table, so a new route is covered without being added here), a private repository of someone
/// else's answers exactly as one that does not exist, status and body, to an anonymous caller and to
/// another signed-in user, over the API, git and the web pages.
/// </summary>
public sealed partial class PrivateMeansAbsentTests(PrivateMeansAbsentTests.World world) : IClassFixture<PrivateMeansAbsentTests.World>
{
    private const string Password = "private means absent passphrase";

    /// <summary>alice's private repository and public one; the other two names do not exist (the second has no such owner either).</summary>
    private const string Private = "alice/secret-plans";
    private const string Public = "alice/open-plans";
    private static readonly string[] Missing = ["alice/no-such-plans", "no-such-owner/secret-plans"];

    public sealed class World : IAsyncLifetime
    {
        private LatchkeyServer? _server;

        public LatchkeyServer Server => _server ?? throw new InvalidOperationException("Server not started.");

        /// <summary>bob's classic token with every scope he may hold, and his fine-grained token with every permission on all repositories.</summary>
        public string ClassicToken { get; private set; } = "";
        public string FineGrainedToken { get; private set; } = "";

        /// <summary>bob, signed in, and a visitor who is not; both keep their cookies (antiforgery, session).</summary>
        public WebSession Bob { get; private set; } = null!;
        public WebSession Visitor { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            // Every route is asked several times over by an anonymous caller: more than the hourly 60.
            _server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Api:AnonymousLimit"] = "100000" });
            using (var root = Server.NewBrowserSession())
                await root.SignUpAsync("root", Password);
            using (var alice = Server.NewBrowserSession())
            {
                await alice.SignUpAsync("alice", Password);
                await alice.CreateRepositoryAsync(Private.Split('/')[1], isPrivate: true, addReadme: true);
                await alice.CreateRepositoryAsync(Public.Split('/')[1], isPrivate: false, addReadme: true);
            }
            Bob = Server.NewBrowserSession();
            await Bob.SignUpAsync("bob", Password);
            using (var carol = Server.NewBrowserSession())
                await carol.SignUpAsync("carol", Password);
            Visitor = Server.NewBrowserSession();
            ClassicToken = await Server.IssueClassicAsync("bob", Scopes.All.Where(s => !s.AdminOnly).Select(s => s.Name));
            FineGrainedToken = await Server.IssueAsync("bob", RepositoryAccess.All,
                permissions: FineGrainedPermissions.All.ToDictionary(p => p.Key, _ => PermissionLevel.Write));
        }

        public async Task DisposeAsync()
        {
            Bob?.Dispose();
            Visitor?.Dispose();
            if (_server is not null)
                await _server.DisposeAsync();
        }
    }

    private enum Door
    {
        Api,
        Git,
        Web,
    }

    /// <summary>One request to make against each repository: the route's pattern and method, and how to fill it.</summary>
    private sealed record RouteCall(Door Door, string Method, RoutePattern Pattern, string? Handler = null, string? Query = null)
    {
        public override string ToString() =>
            $"{Method} /{Pattern.RawText!.TrimStart('/')}{(Handler is null ? "" : "?handler=" + Handler)}{(Query is null ? "" : "?" + Query)}";
    }

    /// <summary>Values for the route parameters other than owner and repo: fixed, the same for every repository ("x" for one not named here).</summary>
    private static readonly Dictionary<string, string> Fill = new(StringComparer.OrdinalIgnoreCase)
    {
        ["path"] = "README.md",
        ["branch"] = "main",
        ["reference"] = "main",
        ["ref"] = "main",
        ["username"] = "carol",
        ["id"] = "1",
    };

    private static readonly string[] GitSuffixes = ["/info/refs", "/git-upload-pack", "/git-receive-pack"];

    /// <summary>Every route whose pattern has {owner} and {repo}, with each method it answers (a page: each of its handlers).</summary>
    private async Task<List<RouteCall>> RepositoryRoutesAsync()
    {
        var loader = world.Server.Services.GetRequiredService<PageLoader>();
        var calls = new List<RouteCall>();
        foreach (var endpoint in world.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            if (pattern.GetParameter("owner") is null || pattern.GetParameter("repo") is null)
                continue;
            var raw = pattern.RawText ?? "";
            if (endpoint.Metadata.GetMetadata<PageActionDescriptor>() is { } page)
            {
                var compiled = await loader.LoadAsync(page, endpoint.Metadata);
                foreach (var handler in compiled.HandlerMethods)
                    calls.Add(new RouteCall(Door.Web, handler.HttpMethod.ToUpperInvariant(), pattern, handler.Name));
                continue;
            }
            var door = raw.StartsWith("/api/", StringComparison.Ordinal) ? Door.Api
                : GitSuffixes.Any(s => raw.EndsWith(s, StringComparison.Ordinal)) ? Door.Git
                : Door.Web;
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } declared ? declared : ["GET", "POST"];
            foreach (var method in methods)
            {
                if (raw.EndsWith("/info/refs", StringComparison.Ordinal))
                {
                    calls.Add(new RouteCall(door, method, pattern, Query: "service=git-upload-pack"));
                    calls.Add(new RouteCall(door, method, pattern, Query: "service=git-receive-pack"));
                }
                else
                {
                    calls.Add(new RouteCall(door, method, pattern));
                }
            }
        }
        return calls;
    }

    [Fact]
    public async Task The_route_walk_finds_the_routes_of_every_door()
    {
        var calls = (await RepositoryRoutesAsync()).Select(c => $"{c.Door} {c}").ToList();
        var listing = string.Join('\n', calls);
        string[] expected =
        [
            "Api GET /api/v3/repos/{owner}/{repo}", "Api PATCH /api/v3/repos/{owner}/{repo}", "Api DELETE /api/v3/repos/{owner}/{repo}",
            "Api PUT /api/v3/repos/{owner}/{repo}/contents/{**path}", "Api DELETE /api/v3/repos/{owner}/{repo}/contents/{**path}",
            "Api PUT /api/v3/repos/{owner}/{repo}/collaborators/{username}", "Api DELETE /api/v3/repos/{owner}/{repo}/collaborators/{username}",
            "Api GET /api/v3/repos/{owner}/{repo}/branches/{**branch}", "Api GET /api/v3/repos/{owner}/{repo}/tarball/{**ref}",
            "Git GET /{owner}/{repo}/info/refs?service=git-upload-pack", "Git GET /{owner}/{repo}/info/refs?service=git-receive-pack",
            "Git POST /{owner}/{repo}/git-upload-pack", "Git POST /{owner}/{repo}/git-receive-pack",
            "Web GET /{owner}/{repo}", "Web GET /{owner}/{repo}/tree/{ref}/{**path}", "Web GET /{owner}/{repo}/blob/{ref}/{**path}",
            "Web GET /{owner}/{repo}/raw/{ref}/{**path}", "Web GET /{owner}/{repo}/archive/{**ref}", "Web GET /{owner}/{repo}/settings",
            "Web POST /{owner}/{repo}/settings?handler=Invite", "Web POST /{owner}/{repo}/settings?handler=Remove", "Web POST /{owner}/{repo}/settings?handler=Delete",
        ];
        foreach (var call in expected)
            Assert.True(calls.Contains(call), $"The route walk misses {call}; it found:\n{listing}");
    }

    [Fact]
    public async Task A_private_repository_answers_as_a_missing_one_on_every_route_to_every_caller()
    {
        var differences = new List<string>();
        var asked = 0;
        foreach (var call in await RepositoryRoutesAsync())
        {
            foreach (var caller in CallersOf(call.Door))
            {
                var hidden = await SendAsync(call, caller, Private);
                asked++;
                // A 400 would be the walk's own mistake (a missing antiforgery token, a wrong body), answered before any decision.
                if (hidden.Status == 400)
                    differences.Add($"{call} as {caller}: {Private} answered 400, so the request never reached the access decision: {Shorten(hidden.Body)}");
                foreach (var missing in Missing)
                {
                    var absent = await SendAsync(call, caller, missing);
                    asked++;
                    if (hidden.Status != absent.Status || hidden.Body != absent.Body)
                    {
                        differences.Add($"{call} as {caller}: {Private} answered {hidden.Status}, {missing} answered {absent.Status}\n"
                            + $"  {Private}: {Shorten(hidden.Body)}\n  {missing}: {Shorten(absent.Body)}");
                    }
                    else if (hidden.Status is >= 200 and < 300)
                    {
                        differences.Add($"{call} as {caller}: both answered {hidden.Status}: {Shorten(hidden.Body)}");
                    }
                }
            }
        }
        Assert.True(asked > 100, $"Only {asked} requests made.");
        Assert.True(differences.Count == 0, $"{differences.Count} of {asked} answers tell a private repository from a missing one, or do not test it:\n" + string.Join('\n', differences));
    }

    [Theory]
    [InlineData("bob (classic token)")]
    [InlineData("bob (fine-grained token)")]
    public async Task A_private_repository_answers_as_a_missing_one_in_graphql(string caller)
    {
        var token = caller == "bob (classic token)" ? world.ClassicToken : world.FineGrainedToken;
        async Task<(int Status, string Body)> AskAsync(string target)
        {
            var (owner, name) = (target.Split('/')[0], target.Split('/')[1]);
            using var http = new HttpClient { BaseAddress = world.Server.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/graphql")
            {
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { query = $"{{repository(owner:\"{owner}\",name:\"{name}\"){{id name isPrivate viewerPermission}}}}" }),
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
            using var response = await http.SendAsync(request);
            // GitHub's message names what was asked for; that is the asker's own text, not the server's knowledge.
            return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync()).Replace(target, "{owner}/{repo}", StringComparison.Ordinal));
        }

        var hidden = await AskAsync(Private);
        Assert.Contains("NOT_FOUND", hidden.Body, StringComparison.Ordinal);
        foreach (var missing in Missing)
            Assert.Equal(hidden, await AskAsync(missing));
    }

    public static TheoryData<string> AnonymousTargets => new(Public, Private, Missing[0], Missing[1]);

    [Theory]
    [MemberData(nameof(AnonymousTargets))]
    public async Task An_anonymous_write_to_the_api_is_401_requires_authentication_whatever_the_repository(string target)
    {
        var writes = (await RepositoryRoutesAsync()).Where(c => c.Door == Door.Api && RequirementOf(c) is { Action: RepoAction.Write or RepoAction.Admin or RepoAction.Delete }).ToList();
        Assert.True(writes.Count >= 6, "API write routes found:\n" + string.Join('\n', writes));
        foreach (var call in writes)
        {
            var (status, body) = await SendAsync(call, "anonymous", target);
            Assert.True(status == 401, $"{call} on {target} as anonymous answered {status}: {body}");
            Assert.Contains("\"message\":\"Requires authentication\"", body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AnonymousTargets))]
    public async Task An_anonymous_push_is_challenged_whatever_the_repository(string target)
    {
        foreach (var call in (await RepositoryRoutesAsync()).Where(c => c.Door == Door.Git && RequirementOf(c) is { Action: RepoAction.Write } || c.Query == "service=git-receive-pack"))
        {
            var (status, body) = await SendAsync(call, "anonymous", target);
            Assert.True(status == 401, $"{call} on {target} as anonymous answered {status}: {body}");
            Assert.StartsWith("Authentication required.", body, StringComparison.Ordinal);
        }
    }

    private RepositoryRequirement? RequirementOf(RouteCall call) =>
        world.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern == call.Pattern && (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains(call.Method) ?? false))
            .Select(e => e.Metadata.GetMetadata<AccessRequirement>()).OfType<RepositoryRequirement>().SingleOrDefault();

    /// <summary>The web takes a session cookie; the API and git take a token, never a cookie.</summary>
    private static string[] CallersOf(Door door) => door == Door.Web
        ? ["anonymous", "bob (session)"]
        : ["anonymous", "bob (classic token)", "bob (fine-grained token)"];

    private async Task<(int Status, string Body)> SendAsync(RouteCall call, string caller, string target)
    {
        var (owner, repo) = (target.Split('/')[0], target.Split('/')[1]);
        var path = PathOf(call.Pattern, owner, call.Door == Door.Git ? repo + ".git" : repo);
        var query = string.Join('&', new[] { call.Handler is null ? null : "handler=" + call.Handler, call.Query }.Where(q => q is not null));
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), path + (query.Length > 0 ? "?" + query : ""));

        HttpClient http;
        if (call.Door == Door.Web)
        {
            var session = caller == "anonymous" ? world.Visitor : world.Bob;
            http = session.Http;
            if (call.Method != "GET")
            {
                request.Content = new FormUrlEncodedContent(
                [
                    new("__RequestVerificationToken", await AntiforgeryTokenAsync(session)),
                    new("username", "carol"),
                    new("role", "read"),
                    new("verify", "confirm"),
                ]);
            }
        }
        else
        {
            http = new HttpClient(WebSession.Handler(null, null)) { BaseAddress = world.Server.BaseAddress };
            var token = caller switch
            {
                "bob (classic token)" => world.ClassicToken,
                "bob (fine-grained token)" => world.FineGrainedToken,
                _ => null,
            };
            if (token is not null)
            {
                request.Headers.Authorization = call.Door == Door.Git
                    ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("bob:" + token)))
                    : new AuthenticationHeaderValue("token", token);
            }
            if (call.Door == Door.Git && call.Method == "POST")
            {
                request.Content = new ByteArrayContent("0000"u8.ToArray());
                request.Content.Headers.ContentType = new MediaTypeHeaderValue($"application/x-{call.Pattern.RawText!.Split('/')[^1]}-request");
            }
            else if (call.Method is not ("GET" or "HEAD"))
            {
                request.Content = new StringContent(
                    "{\"message\":\"m\",\"content\":\"aGk=\",\"sha\":\"0000000000000000000000000000000000000000\",\"branch\":\"main\",\"description\":\"d\",\"permission\":\"pull\"}",
                    Encoding.UTF8, "application/json");
            }
        }
        try
        {
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, Normalised(await response.Content.ReadAsStringAsync()));
        }
        finally
        {
            if (call.Door != Door.Web)
                http.Dispose();
        }
    }

    /// <summary>The path for a pattern: owner and repo from the target, every other parameter from <see cref="Fill"/>.</summary>
    private static string PathOf(RoutePattern pattern, string owner, string repo)
    {
        var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart { Name: "owner" } => owner,
            RoutePatternParameterPart { Name: "repo" } => repo,
            RoutePatternParameterPart parameter => Fill.TryGetValue(parameter.Name, out var value) ? value : "x",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException($"Unknown route part in {pattern.RawText}"),
        })));
        return string.Join('/', segments);
    }

    private static string Shorten(string body) => body.Length > 400 ? body[..400] + "…" : body.ReplaceLineEndings(" ");

    /// <summary>An antiforgery token for the session's own cookies, from a page every caller may see.</summary>
    private static async Task<string> AntiforgeryTokenAsync(WebSession session)
    {
        var (status, page) = await session.GetAsync("/login");
        if (status != HttpStatusCode.OK)
            (status, page) = await session.GetAsync("/new");
        Assert.True(status == HttpStatusCode.OK, $"No page with a form: {status}\n{page}");
        return WebSession.AntiforgeryTokenIn(page);
    }

    /// <summary>Only what differs by request, not by repository: the antiforgery tokens in the page's own forms.</summary>
    private static string Normalised(string body) => AntiforgeryValue().Replace(body, "${name}value=\"…\"");

    [GeneratedRegex("(?<name>name=\"__RequestVerificationToken\" type=\"hidden\" )value=\"[^\"]+\"")]
    private static partial Regex AntiforgeryValue();
}
