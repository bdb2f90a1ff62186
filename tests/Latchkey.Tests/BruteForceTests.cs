using System.Net;
using Latchkey.Tests.Support;

namespace Latchkey.Tests;

/// <summary>
/// One throttle for web sign-in, git and the API: bad tokens count per client address, passwords per
/// account and address (and, far higher, per address); past the limit those failures get 429 with
/// Retry-After; a valid token is accepted from any address, that one included.
/// Each test has its own server, because a throttled address stays throttled.
/// </summary>
public sealed class BruteForceTests
{
    private const string Password = "brute force test passphrase";
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Bystander = IPAddress.Parse("127.0.0.3");

    private static async Task<(LatchkeyServer Server, string Token)> StartWithAliceAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        // Identity's lockout reads the system clock, not the server's TimeProvider: keep it short.
        var server = await LatchkeyServer.StartAsync(new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["Security:LockoutDuration"] = "00:00:05" });
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("alice", Password);
        await web.CreateRepositoryAsync("private", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("laptop", ["repo"]);
        return (server, token);
    }

    private static Task<HttpResponseMessage> InfoRefsAsync(LatchkeyServer server, IPAddress from, string credential, string username = "alice") =>
        SendAsync(server, from, "alice/private.git/info/refs?service=git-upload-pack", "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{username}:{credential}")));

    private static Task<HttpResponseMessage> ApiUserAsync(LatchkeyServer server, IPAddress from, string token) =>
        SendAsync(server, from, "api/v3/user", "Bearer " + token);

    private static async Task<HttpResponseMessage> SendAsync(LatchkeyServer server, IPAddress from, string path, string authorization)
    {
        using var http = new HttpClient(WebSession.Handler(null, from)) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        request.Headers.UserAgent.ParseAdd("brute-force-test");
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>A token with the right prefix and a valid checksum that was never issued.</summary>
    private static string Unissued() => Latchkey.Tokens.TokenFormat.Generate(Latchkey.Tokens.TokenKind.Classic);

    [Fact]
    public async Task Many_bad_git_credentials_from_one_address_get_429_while_others_keep_working()
    {
        var (server, token) = await StartWithAliceAsync();
        await using var _ = server;
        var bogus = "lkp_" + new string('0', 36);

        // Bad tokens count against the address; passwords (refused on git whatever they are) against the
        // account at that address: each kind is refused past its own ten.
        var tokenStatuses = new List<HttpStatusCode>();
        var passwordStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 50; i++)
        {
            using var response = await InfoRefsAsync(server, Attacker, i % 2 == 0 ? bogus : "a guessed password");
            (i % 2 == 0 ? tokenStatuses : passwordStatuses).Add(response.StatusCode);
        }
        foreach (var statuses in new[] { tokenStatuses, passwordStatuses })
        {
            Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
            Assert.All(statuses.Skip(10), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        }
        // Passwords for another account from there are not refused for alice's.
        using (var other = await InfoRefsAsync(server, Attacker, "a guessed password", username: "bob"))
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);

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
                Assert.Contains("Too many failed sign-in attempts for this account from your network.", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
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

    [Fact]
    public async Task A_hundred_wrong_tokens_from_an_address_do_not_stop_a_valid_token_from_it_on_git_or_the_API()
    {
        var (server, token) = await StartWithAliceAsync();
        await using var _ = server;
        for (var i = 0; i < 100; i++)
        {
            // Half never issued (checksum right), half invented (checksum wrong), half on each door.
            var wrong = i % 4 < 2 ? Unissued() : "lkp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
            using var response = i % 2 == 0 ? await InfoRefsAsync(server, Attacker, wrong) : await ApiUserAsync(server, Attacker, wrong);
            Assert.Equal(i < 10 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        using (var git = await InfoRefsAsync(server, Attacker, token))
            Assert.Equal(HttpStatusCode.OK, git.StatusCode);
        using (var api = await ApiUserAsync(server, Attacker, token))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
            Assert.Contains("\"login\":\"alice\"", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var git = await InfoRefsAsync(server, Attacker, Unissued()))
            Assert.Equal(HttpStatusCode.TooManyRequests, git.StatusCode);
        using (var api = await ApiUserAsync(server, Attacker, Unissued()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, api.StatusCode);
            Assert.True(api.Headers.Contains("Retry-After"));
        }
        Assert.Empty(server.FiveHundreds);
    }

    [Fact]
    public async Task A_token_shaped_string_with_a_wrong_checksum_costs_no_token_lookup()
    {
        var (server, token) = await StartWithAliceAsync();
        await using var running = server;
        // Warm up the paths (and the epoch read) with a real token, then count only what guesses cost.
        using (var warm = await ApiUserAsync(server, Bystander, token))
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        var before = server.AllLogs.Length;
        for (var i = 0; i < 5; i++)
        {
            var invented = "lkp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
            Assert.False(Latchkey.Tokens.TokenFormat.TryParse(invented, out _));
            using var response = await ApiUserAsync(server, Attacker, invented);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        var statements = server.AllLogs[before..].Split("Executed DbCommand", StringSplitOptions.None).Skip(1).ToList();
        // The failure counts are the only thing the database may see (on PostgreSQL they live there, shared by the nodes).
        Assert.DoesNotContain(statements, s => !s.Contains("\"RateCounters\"", StringComparison.Ordinal));
        if (!TestDatabase.IsPostgres)
            Assert.Empty(statements);

        // A never-issued token with a right checksum is looked up, once: the check above is not blind.
        before = server.AllLogs.Length;
        using (var unissued = await ApiUserAsync(server, Attacker, Unissued()))
            Assert.Equal(HttpStatusCode.Unauthorized, unissued.StatusCode);
        Assert.Contains("\"PersonalAccessTokens\"", server.AllLogs[before..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_persons_wrong_passwords_behind_a_shared_address_do_not_lock_out_a_colleague_but_spraying_many_accounts_is_stopped()
    {
        var (server, _) = await StartWithAliceAsync(new Dictionary<string, string> { ["Security:AddressFailureLimit"] = "25" });
        await using var __ = server;
        var office = IPAddress.Parse("127.0.0.4");
        using (var bob = server.NewBrowserSession(office))
            await bob.SignUpAsync("bob", Password);

        using var typist = server.NewBrowserSession(office);
        for (var i = 0; i < 11; i++)
        {
            using var response = await typist.PostFormAsync("/login", [new("Input.Login", "bob"), new("Input.Password", $"typo {i}")]);
            Assert.Equal(i < 10 ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.TooManyRequests, response.StatusCode);
        }
        // Alice, from the same office, signs in.
        using (var alice = server.NewBrowserSession(office))
            await alice.SignInAsync("alice", Password);

        // Someone trying a password on many accounts from one address is stopped at the address's limit
        // (25 here): 10 for bob above, 15 more for other names, then refused for any account.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await typist.PostFormAsync("/login", [new("Input.Login", $"someone{i}"), new("Input.Password", "Winter2026!")]);
            statuses.Add(response.StatusCode);
        }
        Assert.All(statuses.Take(15), s => Assert.Equal(HttpStatusCode.UnprocessableEntity, s));
        Assert.All(statuses.Skip(15), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        // Tokens are not passwords: alice's keep working from there.
        using (var api = await ApiUserAsync(server, office, await NewTokenAsync(server)))
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Empty(server.FiveHundreds);
    }

    private static async Task<string> NewTokenAsync(LatchkeyServer server)
    {
        using var alice = server.NewBrowserSession(Bystander);
        await alice.SignInAsync("alice", Password);
        return await alice.CreateTokenAsync("second", ["repo"]);
    }
}
