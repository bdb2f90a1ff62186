using System.Diagnostics;
using System.Net;
using Latchkey.Admin;
using Latchkey.Tests.Support;

namespace Latchkey.Tests.Production;

/// <summary>
/// `latchkey admin`: each command run in-process on a real data directory and database (the same
/// settings the test servers get), its effects checked through the web, git and the API of a real
/// server on that data, and the real binary run once as its own process.
/// </summary>
public sealed class AdminCliTests
{
    private const string Password = "admin cli passphrase";
    private const string NewPassword = "a fresh admin cli passphrase";

    private sealed record Run(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
    }

    /// <summary>A data directory owned by the test (and its PostgreSQL database in the PostgreSQL pass).</summary>
    private sealed class Installation : IAsyncDisposable
    {
        private Installation(string path, IReadOnlyList<string> settings)
        {
            DataDirectory = path;
            Settings = settings;
        }

        public string DataDirectory { get; }

        /// <summary>Where the data lives, as command-line settings: the data directory and the database provider.</summary>
        public IReadOnlyList<string> Settings { get; }

        public static async Task<Installation> CreateAsync(bool migrated = true)
        {
            var path = Directory.CreateTempSubdirectory("latchkey-admin-cli-").FullName;
            List<string> settings = ["--data-dir", path];
            foreach (var (key, value) in await TestDatabase.SettingsForAsync(path))
                settings.Add($"--{key}={value}");
            var installation = new Installation(path, settings);
            if (migrated)
            {
                var migrate = await installation.AdminAsync(null, "migrate");
                Assert.True(migrate.ExitCode == 0, migrate.ToString());
            }
            return installation;
        }

        /// <summary>Runs `latchkey admin ARGS` on this installation in-process, with <paramref name="stdin"/> (null: nothing) as standard input.</summary>
        public Task<Run> AdminAsync(string? stdin, params string[] args) => RunInProcessAsync(stdin, [.. args, .. Settings]);

        public Task<LatchkeyServer> StartServerAsync() => LatchkeyServer.StartAsync(reuseDataDirectory: DataDirectory);

        public async ValueTask DisposeAsync()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            await TestDatabase.DropAsync(DataDirectory);
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private static async Task<Run> RunInProcessAsync(string? stdin, params string[] args)
    {
        using var input = stdin is null ? TextReader.Null : new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AdminCommandLine.RunAsync(args, input, output, error);
        return new Run(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the built server binary (`dotnet Latchkey.dll admin ARGS`) as its own process.</summary>
    private static async Task<Run> RunBinaryAsync(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Latchkey.dll"));
        info.ArgumentList.Add("admin");
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            if (stdin is not null)
                await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            return new Run(process.ExitCode, await output, await error);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    private static async Task<HttpStatusCode> WithTokenAsync(LatchkeyServer server, string token, string path)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> TrySignInAsync(WebSession web, string login, string password) =>
        await web.PostFormAsync("/login", [new("Input.Login", login), new("Input.Password", password)]);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("create-user", "--help")]
    [InlineData("reset-password", "-h")]
    [InlineData("suspend", "--help")]
    [InlineData("unsuspend", "--help")]
    [InlineData("revoke-tokens", "--help")]
    [InlineData("list-tokens", "-h")]
    [InlineData("migrate", "--help")]
    [InlineData("check", "--help")]
    [InlineData("maintain", "--help")]
    public async Task Help_for_admin_and_for_each_command_goes_to_stdout(params string[] args)
    {
        var run = await RunInProcessAsync(null, args);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        var command = args[0].StartsWith('-') ? "<command>" : args[0];
        Assert.StartsWith($"Usage: latchkey admin {command}", run.Out, StringComparison.Ordinal);
        Assert.Contains("--data-dir", run.Out, StringComparison.Ordinal);
        if (command == "<command>")
        {
            foreach (var each in new[] { "create-user", "reset-password", "suspend", "unsuspend", "revoke-tokens", "list-tokens", "migrate", "check", "maintain" })
                Assert.Contains("  " + each, run.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("No command given.")]
    [InlineData("Unknown command 'frobnicate'.", "frobnicate")]
    [InlineData("create-user needs a <username>.", "create-user")]
    [InlineData("maintain needs a <owner>/<repository>.", "maintain")]
    [InlineData("create-user needs --email.", "create-user", "carol")]
    [InlineData("--email needs a value.", "create-user", "carol", "--email")]
    [InlineData("--email needs a value.", "create-user", "carol", "--email", "--site-admin")]
    [InlineData("Unexpected argument 'dave'.", "suspend", "carol", "dave")]
    [InlineData("suspend takes no --site-admin.", "suspend", "carol", "--site-admin")]
    [InlineData("reset-password needs a <username>.", "reset-password")]
    [InlineData("list-tokens needs --user.", "list-tokens")]
    [InlineData("list-tokens needs --user.", "list-tokens", "carol")]
    [InlineData("list-tokens takes no --email.", "list-tokens", "--user", "carol", "--email", "c@example.test")]
    [InlineData("Unknown option '-x'.", "check", "-x")]
    [InlineData("--data-dir needs a value", "check", "--data-dir")]
    public async Task A_bad_command_line_exits_2_with_the_reason_and_the_usage_on_stderr(string reason, params string[] args)
    {
        var run = await RunInProcessAsync("unused passphrase\n", args);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Out);
        Assert.StartsWith("error: " + reason, run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage: latchkey admin", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_migrate_migrates_and_a_user_it_creates_signs_in_on_the_web()
    {
        await using var installation = await Installation.CreateAsync(migrated: false);

        // Before migrating: the other commands refuse and leave the schema alone; check says why.
        var early = await installation.AdminAsync(Password + "\n", "create-user", "alice", "--email", "alice@example.test");
        Assert.True(early.ExitCode == 1, early.ToString());
        Assert.Contains("run `latchkey admin migrate` first", early.Error, StringComparison.Ordinal);
        var check = await installation.AdminAsync(null, "check");
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains("FAIL  database:", check.Out, StringComparison.Ordinal);
        Assert.Contains("migration(s) pending", check.Out, StringComparison.Ordinal);

        var migrate = await installation.AdminAsync(null, "migrate");
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains("Applied ", migrate.Out, StringComparison.Ordinal);
        var again = await installation.AdminAsync(null, "migrate");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("The database is up to date.\n", again.Out);

        // The first account administers the site, as on the web; later ones only when asked.
        var alice = await installation.AdminAsync(Password + "\n", "create-user", "alice", "--email", "alice@example.test");
        Assert.True(alice.ExitCode == 0, alice.ToString());
        Assert.Contains("Created alice (id ", alice.Out, StringComparison.Ordinal);
        Assert.Contains("site administrator", alice.Out, StringComparison.Ordinal);
        var bob = await installation.AdminAsync(Password + "\n", "create-user", "bob", "--email", "bob@example.test");
        Assert.True(bob.ExitCode == 0, bob.ToString());
        Assert.DoesNotContain("administrator", bob.Out, StringComparison.Ordinal);
        var carol = await installation.AdminAsync(Password + "\r\n", "create-user", "carol", "--site-admin", "--email=carol@example.test");
        Assert.True(carol.ExitCode == 0, carol.ToString());
        Assert.Contains("site administrator", carol.Out, StringComparison.Ordinal);
        Assert.All(new[] { alice, bob, carol }, run => Assert.DoesNotContain(Password, run.Out + run.Error, StringComparison.Ordinal));

        await using var server = await installation.StartServerAsync();
        using var aliceWeb = server.NewBrowserSession();
        await aliceWeb.SignInAsync("alice", Password);
        var (adminStatus, users) = await aliceWeb.GetAsync("/site-admin/users");
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Contains("data-user-row=\"bob\"", users, StringComparison.Ordinal);
        var (_, log) = await aliceWeb.GetAsync("/settings/security-log");
        Assert.Contains("Created from the command line (latchkey admin create-user) as a site administrator", log, StringComparison.Ordinal);

        using var bobWeb = server.NewBrowserSession();
        await bobWeb.SignInAsync("bob@example.test", Password);
        Assert.Equal(HttpStatusCode.NotFound, (await bobWeb.GetAsync("/site-admin/users")).Status);
        using var carolWeb = server.NewBrowserSession();
        await carolWeb.SignInAsync("carol", Password);
        Assert.Equal(HttpStatusCode.OK, (await carolWeb.GetAsync("/site-admin/users")).Status);
    }

    [Fact]
    public async Task Check_lists_file_names_holding_an_encoded_slash_and_still_passes()
    {
        await using var installation = await Installation.CreateAsync();
        string token;
        await using (var server = await installation.StartServerAsync())
        {
            using var web = server.NewBrowserSession();
            await web.SignUpAsync("hana", Password);
            await web.CreateRepositoryAsync("notes", isPrivate: true, addReadme: true);
            token = await server.IssueClassicAsync("hana", ["repo"]);
            var clean = await installation.AdminAsync(null, "check");
            Assert.True(clean.ExitCode == 0, clean.ToString());
            Assert.Contains("ok    encoded file names: no file name holds %2F", clean.Out, StringComparison.Ordinal);

            // What the contents API made of docs%2Fa.md before paths were decoded: a root file of that name.
            using var git = new GitClient();
            var clone = await git.CloneAsync(server.Url("hana/notes.git"), "notes", "hana", token);
            Assert.True(clone.Succeeded, clone.ToString());
            var dir = Path.Combine(git.WorkDirectory, "notes");
            await git.CommitFileAsync(dir, "docs%2Fa.md", "literal\n", "A literal name");
            var push = await git.PushAsync(dir, server.Url("hana/notes.git"), "hana", token);
            Assert.True(push.Succeeded, push.ToString());
        }

        var check = await installation.AdminAsync(null, "check");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("note  encoded file names: 1 file name(s) hold %2F", check.Out, StringComparison.Ordinal);
        Assert.Contains("hana/notes main: docs%2Fa.md", check.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_user_refuses_what_sign_up_refuses_and_a_password_not_on_stdin()
    {
        await using var installation = await Installation.CreateAsync();
        Assert.Equal(0, (await installation.AdminAsync(Password + "\n", "create-user", "dave", "--email", "dave@example.test")).ExitCode);

        async Task Refused(string expected, string? stdin, params string[] args)
        {
            var run = await installation.AdminAsync(stdin, ["create-user", .. args]);
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Equal("", run.Out);
            Assert.Contains(expected, run.Error, StringComparison.Ordinal);
            if (stdin is { Length: > 1 })
                Assert.DoesNotContain(stdin.TrimEnd('\n'), run.Error, StringComparison.Ordinal);
        }

        await Refused("This password is one of the most commonly used passwords.", "password123\n", "erin", "--email", "erin@example.test");
        await Refused("Password is too short", "Sh0rt!x\n", "erin", "--email", "erin@example.test");
        await Refused("Password can't be your username, email or the site name", "erin2024!\n", "erin", "--email", "erin@example.test");
        await Refused("no password on standard input", null, "erin", "--email", "erin@example.test");
        await Refused("the password on standard input is empty", "\n", "erin", "--email", "erin@example.test");
        await Refused("Username may only contain alphanumeric characters or single hyphens", Password + "\n", "erin_x", "--email", "erin@example.test");
        await Refused("Username 'admin' is unavailable.", Password + "\n", "admin", "--email", "erin@example.test");
        await Refused("Email address is invalid.", Password + "\n", "erin", "--email", "not-an-email");
        await Refused("Username is already taken.", Password + "\n", "DAVE", "--email", "erin@example.test");
        await Refused("Email address is already in use.", Password + "\n", "erin", "--email", "dave@example.test");

        // None of them made an account.
        var erin = await installation.AdminAsync(null, "list-tokens", "--user", "erin");
        Assert.True(erin.ExitCode == 1, erin.ToString());
        Assert.Contains("there is no user named 'erin'", erin.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_password_ends_the_users_sessions_and_the_new_password_works()
    {
        await using var installation = await Installation.CreateAsync();
        await using var server = await installation.StartServerAsync();
        using var laptop = server.NewBrowserSession();
        await laptop.SignUpAsync("frank", Password);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/settings/profile")).Status);

        var weak = await installation.AdminAsync("qwerty123\n", "reset-password", "frank");
        Assert.True(weak.ExitCode == 1, weak.ToString());
        Assert.Contains("one of the most commonly used passwords", weak.Error, StringComparison.Ordinal);
        var nobody = await installation.AdminAsync(NewPassword + "\n", "reset-password", "nobody");
        Assert.True(nobody.ExitCode == 1, nobody.ToString());
        Assert.Contains("there is no user named 'nobody'", nobody.Error, StringComparison.Ordinal);
        var noInput = await installation.AdminAsync(null, "reset-password", "frank");
        Assert.True(noInput.ExitCode == 1, noInput.ToString());
        Assert.Contains("no password on standard input", noInput.Error, StringComparison.Ordinal);
        // The refusals changed nothing: the session and the old password still work.
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/settings/profile")).Status);

        var reset = await installation.AdminAsync(NewPassword + "\n", "reset-password", "frank");
        Assert.True(reset.ExitCode == 0, reset.ToString());
        Assert.Equal("Set a new password for frank; signed out of 1 session.\n", reset.Out);

        Assert.Equal(HttpStatusCode.Redirect, (await laptop.GetAsync("/settings/profile")).Status);
        using var phone = server.NewBrowserSession();
        using (var old = await TrySignInAsync(phone, "frank", Password))
        {
            Assert.NotEqual(HttpStatusCode.Redirect, old.StatusCode);
            Assert.Contains("Incorrect username or password.", WebUtility.HtmlDecode(await old.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }
        await phone.SignInAsync("frank", NewPassword);
        var (_, log) = await phone.GetAsync("/settings/security-log");
        Assert.Contains("user.change_password", log, StringComparison.Ordinal);
        Assert.Contains("Reset from the command line (latchkey admin reset-password) · sessions signed out: 1", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suspend_refuses_the_users_tokens_on_git_and_the_api_until_unsuspend()
    {
        await using var installation = await Installation.CreateAsync();
        await using var server = await installation.StartServerAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("grace", Password);
        await web.CreateRepositoryAsync("work", isPrivate: true, addReadme: true);
        var token = await web.CreateTokenAsync("laptop", ["repo", "user"]);
        const string Git = "grace/work.git/info/refs?service=git-upload-pack";
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(server, token, Git));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(server, token, "api/v3/user"));

        var suspend = await installation.AdminAsync(null, "suspend", "grace");
        Assert.True(suspend.ExitCode == 0, suspend.ToString());
        Assert.Equal("Suspended grace: signed out of 1 session; sign-in and tokens are refused.\n", suspend.Out);
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync(server, token, Git));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync(server, token, "api/v3/user"));
        Assert.Equal(HttpStatusCode.Redirect, (await web.GetAsync("/settings/profile")).Status);
        using (var signIn = await TrySignInAsync(server.NewBrowserSession(), "grace", Password))
            Assert.Contains("This account is suspended.", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var twice = await installation.AdminAsync(null, "suspend", "grace");
        Assert.True(twice.ExitCode == 0, twice.ToString());
        Assert.StartsWith("grace is already suspended (since ", twice.Out, StringComparison.Ordinal);
        var nobody = await installation.AdminAsync(null, "suspend", "nobody");
        Assert.True(nobody.ExitCode == 1, nobody.ToString());
        Assert.Contains("there is no user named 'nobody'", nobody.Error, StringComparison.Ordinal);

        var unsuspend = await installation.AdminAsync(null, "unsuspend", "grace");
        Assert.True(unsuspend.ExitCode == 0, unsuspend.ToString());
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(server, token, Git));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(server, token, "api/v3/user"));
        await web.SignInAsync("grace", Password);
        var log = WebUtility.HtmlDecode((await web.GetAsync("/settings/security-log")).Body);
        Assert.Contains("user.suspend", log, StringComparison.Ordinal);
        Assert.Contains("From the command line (latchkey admin suspend) · sessions signed out: 1", log, StringComparison.Ordinal);
        Assert.Contains("From the command line (latchkey admin unsuspend)", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_tokens_kills_them_all_and_list_tokens_never_shows_a_secret()
    {
        await using var installation = await Installation.CreateAsync();
        await using var server = await installation.StartServerAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("heidi", Password);
        var laptop = await web.CreateTokenAsync("laptop", ["repo"]);
        var ci = await web.CreateTokenAsync("ci \u001b[31mred", ["repo", "user"], expiration: "none");
        var fine = await server.IssueAsync("heidi", Latchkey.Tokens.RepositoryAccess.All, name: "deploy",
            permissions: FineGrainedTokens.Permissions((Latchkey.Tokens.FineGrainedPermissions.Contents, Latchkey.Tokens.PermissionLevel.Write)));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(server, laptop, "api/v3/user"));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(server, fine, "api/v3/user"));

        var list = await installation.AdminAsync(null, "list-tokens", "--user", "heidi");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = list.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(["id", "type", "note", "scopes", "created", "expires", "last used"], lines[0].Split('\t'));
        Assert.Equal(4, lines.Length);
        var fineRow = lines[1].Split('\t');
        Assert.Equal(["fine-grained", "deploy", "repositories: all; Contents: Read and write, Metadata: Read-only"], [fineRow[1], fineRow[2], fineRow[3]]);
        var ciRow = lines[2].Split('\t');
        Assert.Equal(["classic", "ci ?[31mred", "repo, user", "never", "never"], [ciRow[1], ciRow[2], ciRow[3], ciRow[5], ciRow[6]]);
        var laptopRow = lines[3].Split('\t');
        Assert.Equal("laptop", laptopRow[2]);
        Assert.Equal("repo", laptopRow[3]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", laptopRow[4]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", laptopRow[5]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", laptopRow[5]);
        foreach (var secret in new[] { laptop, ci, fine })
        {
            // Not the token, not its random part, not even the last eight characters the token's own page shows.
            Assert.DoesNotContain(secret[4..12], list.Out, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[^8..], list.Out, StringComparison.Ordinal);
        }

        var revoke = await installation.AdminAsync(null, "revoke-tokens", "--user", "heidi");
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal("Revoked 3 personal access tokens of heidi.\n", revoke.Out);
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync(server, fine, "api/v3/user"));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync(server, laptop, "api/v3/user"));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync(server, ci, "api/v3/user"));

        var empty = await installation.AdminAsync(null, "list-tokens", "--user", "heidi");
        Assert.Equal("heidi has no personal access tokens.\n", empty.Out);
        var none = await installation.AdminAsync(null, "revoke-tokens", "--user=heidi");
        Assert.Equal("Revoked 0 personal access tokens of heidi.\n", none.Out);
        var nobody = await installation.AdminAsync(null, "revoke-tokens", "--user", "nobody");
        Assert.True(nobody.ExitCode == 1, nobody.ToString());
        Assert.Contains("there is no user named 'nobody'", nobody.Error, StringComparison.Ordinal);

        var (_, log) = await web.GetAsync("/settings/security-log");
        Assert.Contains("revoked with all tokens from the command line (latchkey admin revoke-tokens)", WebUtility.HtmlDecode(log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintain_repacks_a_repository_now_with_a_bitmap_and_keeps_what_was_pushed()
    {
        await using var installation = await Installation.CreateAsync();
        await using var server = await installation.StartServerAsync();
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("ivan", Password);
        await web.CreateRepositoryAsync("tools", addReadme: true);
        var token = await web.CreateTokenAsync("push", ["repo"]);
        using var git = new GitClient();
        var url = server.Url("/ivan/tools.git");
        Assert.True((await git.CloneAsync(url, "tools", "ivan", token)).Succeeded);
        await git.CommitFileAsync("tools", "a.txt", "a\n", "Add a");
        var push = await git.PushAsync(Path.Combine(git.WorkDirectory, "tools"), url, "ivan", token, "HEAD:main");
        Assert.True(push.Succeeded, push.ToString());
        var bare = Directory.GetDirectories(Path.Combine(installation.DataDirectory, "repositories"), "*.git", SearchOption.AllDirectories).Single();
        Assert.Empty(Directory.GetFiles(Path.Combine(bare, "objects", "pack"), "*.bitmap"));

        // One push, far below Git:MaintenanceAfterPushes: the command maintains it anyway.
        var run = await installation.AdminAsync(null, "maintain", "ivan/tools");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("Maintained ivan/tools.\n", run.Out);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(bare, "objects", "pack"), "*.bitmap"));
        var fsck = await git.RunAsync(null, null, null, "--git-dir", bare, "fsck", "--strict", "--no-progress");
        Assert.True(fsck.Succeeded, fsck.ToString());
        Assert.True((await git.RunAsync(null, "ivan", token, "clone", "--quiet", url, "again")).Succeeded);
        Assert.Equal("a\n", await File.ReadAllTextAsync(Path.Combine(git.WorkDirectory, "again", "a.txt")));

        var nobody = await installation.AdminAsync(null, "maintain", "ivan/none");
        Assert.True(nobody.ExitCode == 1, nobody.ToString());
        Assert.Contains("there is no repository named 'ivan/none'", nobody.Error, StringComparison.Ordinal);
        var malformed = await installation.AdminAsync(null, "maintain", "tools");
        Assert.True(malformed.ExitCode == 1, malformed.ToString());
        Assert.Contains("is not <owner>/<repository>", malformed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_does_not_migrate_on_start_waits_for_admin_migrate()
    {
        await using var installation = await Installation.CreateAsync(migrated: false);
        var manual = new Dictionary<string, string> { ["Database:MigrateOnStart"] = "false" };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LatchkeyServer.StartAsync(manual, reuseDataDirectory: installation.DataDirectory));
        Assert.Contains("run `latchkey admin migrate` first", refused.Message, StringComparison.Ordinal);

        var migrate = await installation.AdminAsync(null, "migrate");
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        await using var server = await LatchkeyServer.StartAsync(manual, reuseDataDirectory: installation.DataDirectory);
        using var web = server.NewBrowserSession();
        await web.SignUpAsync("kim", Password);
    }

    [Fact]
    public async Task Check_reports_a_bad_setting_without_stopping_at_it()
    {
        await using var installation = await Installation.CreateAsync();
        var run = await installation.AdminAsync(null, "check", "--Tokens:MaxLifetimeDays=999");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("FAIL  configuration: Tokens:MaxLifetimeDays must be a whole number of days from 1 to 366", run.Out, StringComparison.Ordinal);
        Assert.Contains("ok    git: git version ", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_verifies_every_git_lfs_object_and_names_a_damaged_or_missing_one()
    {
        await using var installation = await Installation.CreateAsync();
        var content = LfsTests.RandomBytes(20_000, seed: 41);
        var oid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        await using (var server = await installation.StartServerAsync())
        {
            using var web = server.NewBrowserSession();
            await web.SignUpAsync("ines", Password);
            await web.CreateRepositoryAsync("assets", isPrivate: true, addReadme: true);
            var token = await server.IssueClassicAsync("ines", ["repo"]);
            using var http = new HttpClient();
            await Lfs.UploadAsync(http, server.Url("/ines/assets.git/info/lfs/objects/batch"), "ines", token, content);
        }
        var clean = await installation.AdminAsync(null, "check");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("ok    git lfs objects: 1 stored, each hashes to its name", clean.Out, StringComparison.Ordinal);

        // A bit flipped on the disk: same size, wrong content.
        var path = Path.Combine(installation.DataDirectory, "lfs", oid[..2], oid[2..4], oid);
        var damaged = content.ToArray();
        damaged[100] ^= 1;
        await File.WriteAllBytesAsync(path, damaged);
        var check = await installation.AdminAsync(null, "check");
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains($"FAIL  git lfs objects: {oid} does not hash to its name", check.Out, StringComparison.Ordinal);

        File.Delete(path);
        var gone = await installation.AdminAsync(null, "check");
        Assert.Contains($"{oid} is missing or of the wrong size", gone.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_real_binary_checks_the_installation_and_reads_the_password_from_its_stdin()
    {
        await using var installation = await Installation.CreateAsync(migrated: false);
        var settings = installation.Settings.ToArray();

        var unmigrated = await RunBinaryAsync(null, ["check", .. settings]);
        Assert.True(unmigrated.ExitCode == 1, unmigrated.ToString());
        Assert.Contains("FAIL  database:", unmigrated.Out, StringComparison.Ordinal);

        var migrate = await RunBinaryAsync(null, ["migrate", .. settings]);
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        var check = await RunBinaryAsync(null, ["check", .. settings]);
        Assert.True(check.ExitCode == 0, check.ToString());
        var lines = check.Out.TrimEnd('\n').Split('\n');
        Assert.All(lines, line => Assert.StartsWith("ok    ", line, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("ok    configuration: valid", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("ok    database: ", StringComparison.Ordinal) && line.EndsWith("reachable, schema up to date", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("ok    git: git version ", StringComparison.Ordinal));
        Assert.Contains($"ok    data directory: {installation.DataDirectory} (0700, writable)", lines);
        Assert.Contains(lines, line => line.StartsWith("ok    repositories directory: ", StringComparison.Ordinal));

        var created = await RunBinaryAsync(Password + "\n", ["create-user", "ivan", "--email", "ivan@example.test", .. settings]);
        Assert.True(created.ExitCode == 0, created.ToString());
        var noPassword = await RunBinaryAsync("", ["create-user", "judy", "--email", "judy@example.test", .. settings]);
        Assert.True(noPassword.ExitCode == 1, noPassword.ToString());
        Assert.Contains("no password on standard input", noPassword.Error, StringComparison.Ordinal);
        var unknown = await RunBinaryAsync(null, ["frobnicate", .. settings]);
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("Unknown command 'frobnicate'.", unknown.Error, StringComparison.Ordinal);

        await using var server = await installation.StartServerAsync();
        using var web = server.NewBrowserSession();
        await web.SignInAsync("ivan", Password);
    }
}
