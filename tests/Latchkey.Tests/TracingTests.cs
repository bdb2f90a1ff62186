using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// Traces an operator's collector receives (OpenTelemetry over OTLP/HTTP, <c>Tracing:OtlpEndpoint</c>):
/// a request's span carries the trace id the response names as its request id, and a clone's git
/// process is a span of its own. The collector here is a real HTTP listener taking what the exporter posts.
/// </summary>
public sealed class TracingTests
{
    private const string Password = "tracing passphrase";

    [Fact]
    public async Task The_request_id_is_the_trace_id_and_the_collector_receives_the_request_and_git_spans()
    {
        var port = ServerProcess.FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext exchange;
                try
                {
                    exchange = await collector.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await exchange.Request.InputStream.CopyToAsync(body);
                received.Enqueue((exchange.Request.Url!.AbsolutePath, body.ToArray()));
                exchange.Response.StatusCode = 200;
                exchange.Response.Close();
            }
        });

        var data = Directory.CreateTempSubdirectory("latchkey-tracing-").FullName;
        try
        {
            var settings = new Dictionary<string, string>(await TestDatabase.SettingsForAsync(data))
            {
                ["Tracing:OtlpEndpoint"] = $"http://127.0.0.1:{port}",
            };
            string traceId;
            string token;
            await using (var node = await ServerProcess.StartAsync(data, settings))
            {
                using var web = new WebSession(node.BaseAddress);
                await web.SignUpAsync("tracer", Password);
                await web.CreateRepositoryAsync("traced", isPrivate: true, addReadme: true);
                token = await web.CreateTokenAsync("ci", ["repo"]);

                // A caller that sends W3C trace context gets its trace continued, and the id back.
                traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
                using var http = new HttpClient();
                using var request = new HttpRequestMessage(HttpMethod.Get, node.Url("/api/v3/user"));
                request.Headers.UserAgent.ParseAdd("tracing-test");
                request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
                request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-0123456789abcdef-01");
                using var response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(traceId, Assert.Single(response.Headers.GetValues("X-Request-Id")));
                Assert.Equal(traceId, Assert.Single(response.Headers.GetValues("X-GitHub-Request-Id")));

                // Without trace context, the request id is a fresh trace id all the same.
                using var plain = await http.GetAsync(node.Url("/login"));
                Assert.Matches("^[0-9a-f]{32}$", Assert.Single(plain.Headers.GetValues("X-Request-Id")));

                using var git = new GitClient();
                var clone = await git.CloneAsync(node.Url("/tracer/traced.git"), "traced", "tracer", token);
                Assert.True(clone.Succeeded, clone.ToString());
                // A stopping server sends what it has not sent yet.
                Assert.Equal(0, await node.StopAsync());
            }

            collector.Stop();
            await receiving;
            Assert.NotEmpty(received);
            Assert.All(received, r => Assert.Equal("/v1/traces", r.Path));
            var all = received.SelectMany(r => r.Body).ToArray();
            Assert.True(Contains(all, Convert.FromHexString(traceId)), "the collector did not receive the request's trace");
            Assert.True(Contains(all, Encoding.UTF8.GetBytes("git-upload-pack")), "the clone's git process is not a span");
            Assert.True(Contains(all, Encoding.UTF8.GetBytes("latchkey")), "the spans do not name the service");
            // No secret in what leaves for the collector.
            Assert.False(Contains(all, Encoding.UTF8.GetBytes(token)), "a token's secret went to the collector");
        }
        finally
        {
            await TestDatabase.DropAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
