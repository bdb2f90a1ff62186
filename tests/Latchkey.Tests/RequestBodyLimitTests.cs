using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Latchkey.Tests.Support;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latchkey.Tests;

/// <summary>
/// Every API endpoint that reads a body answers a body over the server's limit with 413 and one that
/// is not JSON with 400, both GitHub's JSON error with a message; never a 500.
/// </summary>
public sealed class RequestBodyLimitTests(RequestBodyLimitTests.World world) : IClassFixture<RequestBodyLimitTests.World>
{
    public sealed class World : IAsyncLifetime
    {
        private readonly ServerFixture _fixture = new();

        public LatchkeyServer Server => _fixture.Server;

        /// <summary>alice's token with every scope (the first account is the site administrator).</summary>
        public string Token { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await _fixture.InitializeAsync();
            using var alice = Server.NewBrowserSession();
            await alice.SignUpAsync("alice", "body limit passphrase");
            await alice.CreateRepositoryAsync("priv", isPrivate: true, addReadme: true);
            using var bob = Server.NewBrowserSession();
            await bob.SignUpAsync("bob", "body limit passphrase");
            Token = await Server.IssueClassicAsync("alice", Scopes.All.Select(s => s.Name));
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }

    /// <summary>
    /// Every API call that reads a body, by route pattern; the path is one the caller may use, so the body
    /// is read. Field is the body with a hole (%) where a value the endpoint reads goes (null: it reads none).
    /// </summary>
    private static readonly BodyCall[] BodyReaders =
    [
        new("POST", "/api/v3/user/repos", "api/v3/user/repos", "{\"name\":%}"),
        new("PATCH", "/api/v3/repos/{owner}/{repo}", "api/v3/repos/alice/priv", "{\"description\":%}"),
        new("PATCH", "/api/v3/user", "api/v3/user", null),
        new("PUT", "/api/v3/repos/{owner}/{repo}/collaborators/{username}", "api/v3/repos/alice/priv/collaborators/bob", "{\"permission\":%}"),
        new("POST", "/api/v3/admin/users", "api/v3/admin/users", "{\"login\":%,\"email\":\"x@example.test\"}"),
        new("POST", "/api/v3/admin/personal-access-tokens", "api/v3/admin/personal-access-tokens", "{\"action\":%,\"pat_ids\":[1]}"),
        // Nothing here is well-formed, so the shared token is never rotated.
        new("POST", "/api/v3/user/token/rotate", "api/v3/user/token/rotate", "{\"overlap_seconds\":%}"),
        new("PATCH", "/api/v3/user/token", "api/v3/user/token", "{\"allowed_networks\":[%]}"),
        new("PUT", "/api/v3/admin/token-policies", "api/v3/admin/token-policies", "{\"classic\":{\"max_lifetime_days\":%}}"),
        new("POST", "/api/v3/credentials/revoke", "api/v3/credentials/revoke", "{\"credentials\":[%]}", Anonymous: true),
        new("PUT", "/api/v3/repos/{owner}/{repo}/contents/{**path}", "api/v3/repos/alice/priv/contents/new.txt", "{\"message\":%,\"content\":\"aGk=\"}"),
        new("DELETE", "/api/v3/repos/{owner}/{repo}/contents/{**path}", "api/v3/repos/alice/priv/contents/README.md", "{\"message\":%,\"sha\":\"0000000000000000000000000000000000000000\"}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/blobs", "api/v3/repos/alice/priv/git/blobs", "{\"content\":%}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/trees", "api/v3/repos/alice/priv/git/trees", "{\"tree\":[{\"path\":%,\"mode\":\"100644\",\"type\":\"blob\",\"content\":\"x\"}]}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/commits", "api/v3/repos/alice/priv/git/commits", "{\"message\":%,\"tree\":\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\"}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/tags", "api/v3/repos/alice/priv/git/tags", "{\"tag\":%,\"message\":\"m\",\"object\":\"x\",\"type\":\"commit\"}"),
        new("POST", "/api/v3/repos/{owner}/{repo}/git/refs", "api/v3/repos/alice/priv/git/refs", "{\"ref\":%,\"sha\":\"x\"}"),
        new("PATCH", "/api/v3/repos/{owner}/{repo}/git/refs/{**ref}", "api/v3/repos/alice/priv/git/refs/heads/main", "{\"sha\":%}"),
        new("POST", "/api/graphql", "api/graphql", "{\"query\":%}"),
    ];

    public sealed record BodyCall(string Method, string Pattern, string Path, string? Field, bool Anonymous = false);

    /// <summary>API endpoints with a method that may carry a body but that read none, named, so that a new one is a decision someone made.</summary>
    private static readonly string[] ReadNoBody =
    [
        "DELETE /api/v3/repos/{owner}/{repo}",
        "DELETE /api/v3/repos/{owner}/{repo}/collaborators/{username}",
        "PATCH /api/v3/user/repository_invitations/{id:long}",
        "DELETE /api/v3/user/repository_invitations/{id:long}",
        "DELETE /api/v3/admin/users/{username}",
        "DELETE /api/v3/repos/{owner}/{repo}/git/refs/{**ref}",
        "PUT /api/v3/users/{username}/suspended",
        "DELETE /api/v3/users/{username}/suspended",
        // Answer 405 whatever is sent.
        "PUT /api/graphql", "PATCH /api/graphql", "DELETE /api/graphql",
        // The JSON 404 for anything else.
        "* /api/v3/{*path:nonfile}",
    ];

    public static TheoryData<string, string> Calls()
    {
        var data = new TheoryData<string, string>();
        foreach (var call in BodyReaders)
            data.Add(call.Method, call.Pattern);
        return data;
    }

    [Fact]
    public void Every_api_endpoint_that_may_take_a_body_is_listed_as_reading_one_or_not()
    {
        var named = BodyReaders.Select(c => $"{c.Method} {c.Pattern}").Concat(ReadNoBody).ToHashSet(StringComparer.Ordinal);
        var withBodies = world.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Where(m => m is not ("GET" or "HEAD" or "OPTIONS"))
                .Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToList();
        var unnamed = withBodies.Where(e => !named.Contains(e)).ToList();
        Assert.True(unnamed.Count == 0, "API endpoints neither in BodyReaders nor in ReadNoBody:\n" + string.Join('\n', unnamed));
        var stale = named.Where(n => !withBodies.Contains(n)).ToList();
        Assert.True(stale.Count == 0, "Listed endpoints the route table does not have:\n" + string.Join('\n', stale));
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_body_over_the_limit_is_413_with_a_message(string method, string pattern)
    {
        var call = BodyReaders.Single(c => c.Method == method && c.Pattern == pattern);
        var limit = world.Server.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize;
        Assert.NotNull(limit);
        // Kestrel's MaxRequestBodySize (no API setting lowers it) and one byte more: JSON that is
        // well-formed as far as it goes, so that only its size is wrong.
        var oversize = new byte[limit.Value + 1];
        Array.Fill(oversize, (byte)'a');
        "{\"description\":\""u8.CopyTo(oversize);

        foreach (var chunked in new[] { false, true })
        {
            var (status, body) = await SendRawAsync(call, oversize, chunked);
            Assert.True(status == 413, $"{method} {call.Path} with {oversize.Length} bytes{(chunked ? ", chunked" : "")} answered {status}: {body}");
            AssertMessage(body, method, call.Path);
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_body_that_is_not_json_is_400_problems_parsing_json(string method, string pattern)
    {
        var call = BodyReaders.Single(c => c.Method == method && c.Pattern == pattern);
        foreach (var malformed in MalformedFor(call))
        {
            var (status, body) = await SendAsync(call, new ByteArrayContent(malformed), chunked: false);
            Assert.True(status == HttpStatusCode.BadRequest, $"{method} {call.Path} with [{Encoding.Latin1.GetString(malformed)}] answered {(int)status}: {body}");
            var message = AssertMessage(body, method, call.Path);
            Assert.True(message == "Problems parsing JSON", $"{method} {call.Path} with [{Encoding.Latin1.GetString(malformed)}] said: {message}");
        }
        foreach (var other in NotAnObject)
        {
            var (status, body) = await SendAsync(call, new ByteArrayContent(other), chunked: false);
            Assert.True(status == HttpStatusCode.BadRequest, $"{method} {call.Path} with [{Encoding.Latin1.GetString(other)}] answered {(int)status}: {body}");
            var message = AssertMessage(body, method, call.Path);
            string[] expected = call.Pattern == "/api/graphql" ? ["Problems parsing JSON", GraphQLNeedsAQuery] : ["Problems parsing JSON"];
            Assert.True(expected.Contains(message), $"{method} {call.Path} with [{Encoding.Latin1.GetString(other)}] said: {message}");
        }
    }

    /// <summary>Bodies that are not JSON at all: broken syntax, cut short, not UTF-8, nested deeper than any parser goes, nothing.</summary>
    private static readonly byte[][] NotJson =
    [
        "{not json"u8.ToArray(),
        "{\"name\":"u8.ToArray(),
        "\"unterminated"u8.ToArray(),
        [0xff, 0xfe, 0x00, 0x7b],
        Encoding.ASCII.GetBytes(new string('[', 5000) + new string(']', 5000)),
    ];

    /// <summary>JSON, but not an object: the REST endpoints cannot parse it into their body; GraphQL may say what it needs instead (a query).</summary>
    private static readonly byte[][] NotAnObject = ["null"u8.ToArray(), "[]"u8.ToArray(), "[{}]"u8.ToArray(), "5"u8.ToArray(), "\"text\""u8.ToArray()];

    /// <summary>Values that are not what a field holds: bytes that are not UTF-8, a lone surrogate, another type, a number no type holds, too deep.</summary>
    private static readonly byte[][] NotTheValue =
    [
        [(byte)'"', 0xc3, 0x28, (byte)'"'],
        [(byte)'"', 0xed, 0xa0, 0x80, (byte)'"'],
        "\"\\ud800\""u8.ToArray(),
        "\"\\udfff\\ud800\""u8.ToArray(),
        "{}"u8.ToArray(),
        "1e400"u8.ToArray(),
        Encoding.ASCII.GetBytes(new string('[', 200) + new string(']', 200)),
    ];

    private const string GraphQLNeedsAQuery = "A query attribute must be specified and must be a string.";

    private static IEnumerable<byte[]> MalformedFor(BodyCall call)
    {
        foreach (var body in NotJson)
            yield return body;
        if (call.Field is null)
            yield break;
        var hole = call.Field.IndexOf('%', StringComparison.Ordinal);
        foreach (var value in NotTheValue)
            yield return [.. Encoding.ASCII.GetBytes(call.Field[..hole]), .. value, .. Encoding.ASCII.GetBytes(call.Field[(hole + 1)..])];
    }

    private static string AssertMessage(string body, string method, string path)
    {
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String && message.GetString()!.Length > 0,
            $"{method} {path}: no JSON message in {body}");
        return message.GetString()!;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(BodyCall call, HttpContent content, bool chunked)
    {
        using var http = new HttpClient { BaseAddress = world.Server.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), call.Path) { Content = content };
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        if (!call.Anonymous)
            request.Headers.TryAddWithoutValidation("Authorization", "token " + world.Token);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// HTTP/1.1 by hand: HttpClient reports the broken pipe of a body the server stopped reading instead
    /// of the answer the server gave before it stopped; a client such as curl shows the answer.
    /// </summary>
    private async Task<(int Status, string Body)> SendRawAsync(BodyCall call, byte[] body, bool chunked)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(world.Server.BaseAddress.Host, world.Server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{call.Method} /{call.Path} HTTP/1.1\r\nHost: {world.Server.BaseAddress.Authority}\r\n")
            .Append("Content-Type: application/json\r\nConnection: close\r\n")
            .Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n");
        if (!call.Anonymous)
            head.Append(CultureInfo.InvariantCulture, $"Authorization: token {world.Token}\r\n");
        head.Append("\r\n");

        var send = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
                const int Piece = 64 * 1024;
                for (var offset = 0; offset < body.Length; offset += Piece)
                {
                    var length = Math.Min(Piece, body.Length - offset);
                    if (chunked)
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
                    await stream.WriteAsync(body.AsMemory(offset, length));
                    if (chunked)
                        await stream.WriteAsync("\r\n"u8.ToArray());
                }
                if (chunked)
                    await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            }
            catch (IOException)
            {
                // The server answered and closed before reading it all: what the test is about.
            }
        });

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                received.Write(buffer, 0, read);
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset after the answer arrived.
        }
        await send;
        return ParseResponse(received.ToArray());
    }

    private static (int Status, string Body) ParseResponse(byte[] raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "No HTTP response came back:\n" + text);
        var lines = text[..split].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var body = text[(split + 4)..];
        if (lines.Any(l => l.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            var plain = new StringBuilder();
            while (true)
            {
                var end = body.IndexOf("\r\n", StringComparison.Ordinal);
                var size = int.Parse(body[..end], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                    break;
                plain.Append(body, end + 2, size);
                body = body[(end + 2 + size + 2)..];
            }
            body = plain.ToString();
        }
        return (status, body);
    }
}
