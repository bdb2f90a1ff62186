using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Admin;

/// <summary>The command's standard streams, so that tests can run it in-process.</summary>
internal sealed record AdminConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>Says why the command refused or failed, on stderr, and gives its exit code.</summary>
    public int Fail(string message)
    {
        Error.WriteLine("error: " + message);
        return AdminCommandLine.Failure;
    }
}

/// <summary>
/// `latchkey admin &lt;command&gt;`: the operator's commands, on the same binary and the same settings as
/// the server (--data-dir, --Database:Provider, environment variables). The app is built exactly as for
/// serving but never started: nothing listens, no job runs, and only `migrate` touches the schema.
/// </summary>
public static class AdminCommandLine
{
    public const int Success = 0;

    /// <summary>Refused or failed: unknown user, weak password, no password, database unreachable, a failed check.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong: unknown command, missing or unexpected argument.</summary>
    public const int UsageError = 2;

    private const string Email = "email";
    private const string UserOption = "user";
    private const string SiteAdmin = "site-admin";

    internal static IReadOnlyList<AdminCommand> Commands { get; } =
    [
        new("create-user", "create-user <username> --email <email> [--site-admin]",
            "Create an account (password read from standard input)",
            "Creates an account under the same rules as sign-up on the web: username rules, a unique email,\n" +
            "and the password policy (length, no common or contextual password). The password is the first\n" +
            "line of standard input; it is never taken from an argument. --site-admin makes the account a\n" +
            "site administrator; as on the web, the first account of a site always is one.",
            TakesUsername: true, ReadsPassword: true, RequiredOptions: [Email], Flags: [SiteAdmin]),
        new("reset-password", "reset-password <username>",
            "Set a new password (read from standard input); ends the user's web sessions",
            "Sets the password to the first line of standard input, under the password policy, clears any\n" +
            "sign-in lockout, and signs the user out of every web session, as a password change does.\n" +
            "The user's tokens keep working. The user's security log records it.",
            TakesUsername: true, ReadsPassword: true),
        new("suspend", "suspend <username>",
            "Suspend an account: sessions end, sign-in and tokens are refused",
            "Suspends the account as a site administrator does on the web or through the API: every web\n" +
            "session ends at once, and sign-in, git and API requests with its tokens are refused until it is\n" +
            "unsuspended. The user's security log records it.",
            TakesUsername: true),
        new("unsuspend", "unsuspend <username>",
            "Lift a suspension",
            "Lifts the suspension: the user can sign in again and their tokens work again.",
            TakesUsername: true),
        new("revoke-tokens", "revoke-tokens --user <username>",
            "Revoke (delete) all of a user's personal access tokens",
            "Deletes every personal access token of the user, as \"Revoke all\" on the web does, and prints\n" +
            "how many. Anything using them stops working at once. The user's security log records each one.",
            RequiredOptions: [UserOption]),
        new("list-tokens", "list-tokens --user <username>",
            "List a user's personal access tokens (never their secrets)",
            "Prints one tab-separated line per token: id, note, scopes, created, expires and last used\n" +
            "(UTC). Secrets are never stored, so they cannot be shown.",
            RequiredOptions: [UserOption]),
        new("migrate", "migrate",
            "Apply pending database migrations",
            "Brings the database schema up to date and prints the migrations it applied. The server does\n" +
            "this as it starts unless Database:MigrateOnStart is false; the other commands never do."),
        new("maintain", "maintain <owner>/<repository>",
            "Maintain a repository now: repack with a bitmap, commit-graph, packed refs",
            "Runs the server's background repository maintenance on one repository now, whatever its push\n" +
            "count: packed refs, a geometric repack with a multi-pack index and its reachability bitmap, and\n" +
            "a commit-graph. It takes the same lease in the database as the servers' own runs, so it is safe\n" +
            "while they serve; when a node is maintaining the repository it says so and exits 1.",
            TakesUsername: true, Positional: "<owner>/<repository>"),
        new("check", "check",
            "Check the installation: settings, database, git, data directory, Git LFS objects",
            "Checks that the settings are valid, the database is reachable with no pending migration, git\n" +
            "is installed, the data directory is owner-only and writable, and every Git LFS object is\n" +
            "stored and hashes to its name. Prints one line per check and exits 1 if any fails."),
    ];

    private const string SettingsHelp =
        "Server settings are the server's own, given the same way: --data-dir DIR, --Database:Provider=Postgres,\n" +
        "--ConnectionStrings:Latchkey=..., any --Section:Key=Value, or environment variables (Section__Key).";

    private const string ExitCodes = "Exit status: 0 done, 1 refused or failed, 2 bad command line.";

    /// <summary>
    /// Standard input, when something is piped into it. A terminal would echo a typed password, so the
    /// commands read none from it: they say where the password should come from instead.
    /// </summary>
    public static TextReader StandardInput() => Console.IsInputRedirected ? Console.In : TextReader.Null;

    /// <summary>Runs `latchkey admin` with <paramref name="args"/> (the words after "admin") and returns the exit status.</summary>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = AdminArguments.Parse(args, Commands);
        if (parsed.Error is { } error)
        {
            stderr.WriteLine("error: " + error);
            stderr.WriteLine();
            stderr.Write(Usage(parsed.Command));
            return UsageError;
        }
        if (parsed.Help)
        {
            stdout.Write(Usage(parsed.Command));
            return Success;
        }

        var io = new AdminConsole(stdin, stdout, stderr);
        var command = parsed.Command!;
        string? password = null;
        if (command.ReadsPassword)
        {
            password = await ReadPasswordAsync(io, command, ct);
            if (password is null)
                return Failure;
        }
        if (command.Name == "check")
            return await InstallationCommands.CheckAsync(parsed.Configuration, io, ct);

        WebApplication app;
        try
        {
            app = Build(parsed.Configuration, stderr);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return io.Fail("the configuration is invalid: " + e.Message);
        }
        await using (app)
        {
            using var scope = app.Services.CreateScope();
            var services = scope.ServiceProvider;
            try
            {
                if (command.Name == "migrate")
                    return InstallationCommands.Migrate(services, io);
                var pending = (await services.GetRequiredService<LatchkeyDb>().Database.GetPendingMigrationsAsync(ct)).ToList();
                if (pending.Count > 0)
                {
                    return io.Fail($"the database needs {pending.Count} migration(s) ({string.Join(", ", pending)}): " +
                        "run `latchkey admin migrate` first.");
                }
                return command.Name switch
                {
                    "create-user" => await AccountCommands.CreateUserAsync(services, parsed.Username!, parsed.Value(Email), parsed.Has(SiteAdmin), password!, io, ct),
                    "reset-password" => await AccountCommands.ResetPasswordAsync(services, parsed.Username!, password!, io, ct),
                    "suspend" => await AccountCommands.SuspendAsync(services, parsed.Username!, suspend: true, io, ct),
                    "unsuspend" => await AccountCommands.SuspendAsync(services, parsed.Username!, suspend: false, io, ct),
                    "revoke-tokens" => await AccountCommands.RevokeTokensAsync(services, parsed.Value(UserOption), io, ct),
                    "list-tokens" => await AccountCommands.ListTokensAsync(services, parsed.Value(UserOption), io, ct),
                    "maintain" => await RepositoryCommands.MaintainAsync(services, parsed.Username!, io, ct),
                    _ => throw new InvalidOperationException($"No handler for the command '{command.Name}'."),
                };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // An operator needs the reason (database unreachable, disk full), not a stack trace.
                return io.Fail($"{command.Name} failed: {e.Message}" + (e.InnerException is { } inner ? " " + inner.Message : ""));
            }
        }
    }

    /// <summary>The server's app, with its own settings and services, built but not started.</summary>
    internal static WebApplication Build(IReadOnlyList<string> configuration, TextWriter stderr) =>
        Program.BuildApp([.. configuration], builder =>
        {
            // The commands report for themselves on stdout; the framework only warns, on stderr.
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new StandardErrorLoggerProvider(stderr));
            // EF Core would log each database failure that the commands already report: say it once.
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        });

    /// <summary>The first line of standard input, or null (said on stderr) when there is none.</summary>
    private static async Task<string?> ReadPasswordAsync(AdminConsole io, AdminCommand command, CancellationToken ct)
    {
        var line = await io.In.ReadLineAsync(ct);
        if (string.IsNullOrEmpty(line))
        {
            io.Fail((line is null ? "no password on standard input" : "the password on standard input is empty") +
                $": {command.Name} reads the password from standard input, never from an argument. For example:\n" +
                $"  printf '%s\\n' \"$PASSWORD\" | latchkey admin {command.Name} ...");
            return null;
        }
        // Used exactly as given, as on the web: never trimmed.
        return line;
    }

    internal static string Usage(AdminCommand? command)
    {
        var text = new System.Text.StringBuilder();
        if (command is null)
        {
            text.AppendLine("Usage: latchkey admin <command> [arguments] [server settings]");
            text.AppendLine();
            text.AppendLine("Commands:");
            var width = Commands.Max(c => c.Synopsis.Length) + 2;
            foreach (var each in Commands)
                text.Append("  ").Append(each.Synopsis.PadRight(width)).AppendLine(each.Summary);
            text.AppendLine();
            text.AppendLine(SettingsHelp);
            text.AppendLine("Run `latchkey admin <command> --help` for a command's details.");
        }
        else
        {
            text.Append("Usage: latchkey admin ").Append(command.Synopsis).AppendLine(" [server settings]");
            text.AppendLine();
            text.AppendLine(command.Details);
            text.AppendLine();
            text.AppendLine(SettingsHelp);
        }
        text.AppendLine(ExitCodes);
        return text.ToString();
    }
}

/// <summary>Framework warnings and errors, plainly on the command's stderr.</summary>
internal sealed class StandardErrorLoggerProvider(TextWriter stderr) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, stderr);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, TextWriter stderr) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            lock (stderr)
                stderr.WriteLine($"{logLevel.ToString().ToLowerInvariant()} ({category}): {formatter(state, exception)}");
        }
    }
}
