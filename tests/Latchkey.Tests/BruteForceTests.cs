using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// One throttle for web sign-in and git: failures count per client address; past the limit that
/// address's failures get 429 with Retry-After; a valid token is accepted from any address, that one included.
/// Each test has its own server, because a throttled address stays throttled.
/// </summary>
public sealed class BruteForceTests
{
    private const string Password = "brute force test passphrase";
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Bystander = IPAddress.Parse("127.0.0.3");

    private static async Task<(LatchkeyServer Server, string Token)> StartWithAliceAsync()
    {
        // Identity's lockout reads the system clock, not the server's TimeProvider: keep it short.
        var server = await LatchkeyServer.StartAsync(new Dictionary<string, string> { ["Security:LockoutDuration"] = "00:00:05" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("alice", Password);
        await web.CreateRepositoryAsync("private", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("laptop", ["repo"]);
        return (server, token);
    }

    private static async Task<HttpResponseMessage> InfoRefsAsync(LatchkeyServer server, IPAddress from, string credential)
    {
        using var http = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "alice/private.git/info/refs?service=git-upload-pack");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("alice:" + credential)));
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Fact]
    public async Task Many_bad_git_credentials_from_one_address_get_429_while_others_keep_working()
    {
        var (server, token) = await StartWithAliceAsync();
        await using var _ = server;
        var bogus = "lkp_" + new string('0', 36);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 50; i++)
        {
            using var response = await InfoRefsAsync(server, Attacker, i % 2 == 0 ? bogus : "a guessed password");
            statuses.Add(response.StatusCode);
        }
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(10), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        // A valid token is accepted from that very address, as many times as it is used: only failures
        // are refused (one broken job behind an office's address must not lock out the office).
        for (var i = 0; i < 3; i++)
        {
            using var valid = await InfoRefsAsync(server, Attacker, token);
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }
        using (var throttled = await InfoRefsAsync(server, Attacker, bogus))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            var retryAfter = int.Parse(throttled.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 300);
            Assert.Contains("Too many failed authentication attempts", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Another address with a valid token is not affected, and a real git clone works from there.
        using (var elsewhere = await InfoRefsAsync(server, Bystander, token))
            Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
        using var git = new GitClient();
        var clone = await git.CloneAsync(server.Url("/alice/private.git"), "private", "alice", token);
        Assert.True(clone.Succeeded, clone.ToString());

        // The window passes and the address's failures are answered 401 again (counted afresh).
        server.Clock.Advance(TimeSpan.FromMinutes(5));
        using (var later = await InfoRefsAsync(server, Attacker, bogus))
            Assert.Equal(HttpStatusCode.Unauthorized, later.StatusCode);
        Assert.Empty(server.FiveHundreds);
    }

    [Fact]
    public async Task Guessing_a_password_on_the_web_throttles_the_guesser_and_never_locks_the_victims_tokens()
    {
        var (server, token) = await StartWithAliceAsync();
        await using var _ = server;

        using var attacker = server.NewBrowserSession(Attacker);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await attacker.PostFormAsync("/login", [new("Input.Login", "alice"), new("Input.Password", $"guess number {i}")]);
            statuses.Add(response.StatusCode);
            if (i == 11)
            {
                Assert.Contains("Too many failed sign-in attempts from your network.", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
                Assert.True(response.Headers.Contains("Retry-After"));
            }
        }
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.UnprocessableEntity, s));
        Assert.All(statuses.Skip(10), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        // Alice's tokens keep working, from her own address.
        using (var git = await InfoRefsAsync(server, Bystander, token))
            Assert.Equal(HttpStatusCode.OK, git.StatusCode);

        // Her web sign-in is locked for a while (Identity lockout), then works again.
        using var alice = server.NewBrowserSession(Bystander);
        // The lockout is only told to someone who knows the password.
        using (var guess = await alice.PostFormAsync("/login", [new("Input.Login", "alice"), new("Input.Password", "yet another guess")]))
            Assert.Contains("Incorrect username or password.", WebUtility.HtmlDecode(await guess.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        using (var locked = await alice.PostFormAsync("/login", [new("Input.Login", "alice"), new("Input.Password", Password)]))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, locked.StatusCode);
            Assert.Contains("Personal access tokens keep working.", WebUtility.HtmlDecode(await locked.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }
        await Task.Delay(TimeSpan.FromSeconds(5.5));
        server.Clock.Advance(TimeSpan.FromMinutes(5));
        await alice.SignInAsync("alice", Password);
        Assert.Empty(server.FiveHundreds);
    }
}
