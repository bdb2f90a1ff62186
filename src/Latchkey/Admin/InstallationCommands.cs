using Latchkey.Api;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Hosting;
using Latchkey.Notifications;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latchkey.Admin;

/// <summary>The installation as a whole: its schema (`migrate`) and its health (`check`).</summary>
internal static class InstallationCommands
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static int Migrate(IServiceProvider services, AdminConsole io)
    {
        var applied = DataSetup.Migrate(services.GetRequiredService<LatchkeyDb>());
        if (applied.Count == 0)
            io.Out.WriteLine("The database is up to date.");
        foreach (var migration in applied)
            io.Out.WriteLine("Applied " + migration);
        return AdminCommandLine.Success;
    }

    /// <summary>One line per check, "ok" or "FAIL"; any failure fails the command. Checks never change the schema.</summary>
    public static async Task<int> CheckAsync(IReadOnlyList<string> configuration, AdminConsole io, CancellationToken ct)
    {
        var failed = false;
        void Report(bool ok, string what, string detail)
        {
            io.Out.WriteLine($"{(ok ? "ok  " : "FAIL")}  {what}: {detail}");
            failed |= !ok;
        }

        WebApplication? app = null;
        try
        {
            app = AdminCommandLine.Build(configuration, io.Error);
            ReadSettings(app.Services);
            Report(true, "configuration", "valid");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Report(false, "configuration", e.Message);
        }

        if (app is null)
            Report(false, "database", "not checked: the configuration is invalid");
        else
        {
            await using (app)
            {
                await CheckDatabaseAsync(app.Services, Report, ct);
                await CheckGitAsync(Report, ct);
                var data = app.Services.GetRequiredService<DataDirectory>();
                CheckDirectory("data directory", data.Path, ownerOnly: true, Report);
                CheckDirectory("repositories directory", data.Repositories, ownerOnly: false, Report);
                return failed ? AdminCommandLine.Failure : AdminCommandLine.Success;
            }
        }
        await CheckGitAsync(Report, ct);
        return AdminCommandLine.Failure;
    }

    /// <summary>
    /// Reads now the settings the server reads lazily (at first request or first use), so that a bad
    /// value fails the check rather than a request in production.
    /// </summary>
    private static void ReadSettings(IServiceProvider services)
    {
        services.GetService<IStartupValidator>()?.Validate();
        _ = services.GetRequiredService<TokenDigest>();
        _ = services.GetRequiredService<IOptions<Accounts.SessionOptions>>().Value;
        _ = services.GetRequiredService<IOptions<ThrottleOptions>>().Value;
        _ = services.GetRequiredService<IOptions<ApiRateOptions>>().Value;
        _ = services.GetRequiredService<IOptions<MailOptions>>().Value;
    }

    private static async Task CheckDatabaseAsync(IServiceProvider root, Action<bool, string, string> report, CancellationToken ct)
    {
        using var scope = root.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        var provider = root.GetRequiredService<DatabaseOptions>().Provider;
        // The data source names the file or the host, never the password a connection string may carry.
        var where = $"{provider} at {db.Database.GetDbConnection().DataSource}";
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.CloseConnectionAsync();
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count > 0)
                report(false, "database", $"{where}: {pending.Count} migration(s) pending ({string.Join(", ", pending)}): run `latchkey admin migrate`");
            else
                report(true, "database", $"{where}: reachable, schema up to date");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            report(false, "database", $"{where}: unreachable: {e.Message}");
        }
    }

    private static async Task CheckGitAsync(Action<bool, string, string> report, CancellationToken ct)
    {
        try
        {
            var result = await GitCommand.RunAsync(Path.GetTempPath(), ["--version"], ct);
            report(result.Succeeded, "git", result.Succeeded ? result.Text.Trim() : $"`git --version` exited with {result.ExitCode}: {result.Error.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            report(false, "git", $"not found on PATH ({e.Message}); the server runs git for every clone and push");
        }
    }

    /// <summary>
    /// Exists, writable and (for the data directory, which holds the database and keys) owner-only.
    /// The server creates both and makes them owner-only as it starts, so the check sees them after the
    /// same setup; what it catches is a directory that setup could not fix or that has changed since.
    /// </summary>
    private static void CheckDirectory(string what, string path, bool ownerOnly, Action<bool, string, string> report)
    {
        if (!Directory.Exists(path))
        {
            report(false, what, $"{path} does not exist");
            return;
        }
        var mode = "";
        if (!OperatingSystem.IsWindows())
        {
            var actual = File.GetUnixFileMode(path);
            mode = Convert.ToString((int)actual, 8).PadLeft(4, '0') + ", ";
            if (ownerOnly && actual != OwnerOnly)
            {
                report(false, what, $"{path} is {mode.TrimEnd(',', ' ')}; it must be 0700 (owner only): chmod 700 {path}");
                return;
            }
        }
        var probe = Path.Combine(path, $".latchkey-check-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            report(false, what, $"{path} is not writable: {e.Message}");
            return;
        }
        report(true, what, $"{path} ({mode}writable)");
    }
}
