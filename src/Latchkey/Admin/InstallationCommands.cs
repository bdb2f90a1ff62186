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
                await CheckEncodedNamesAsync(app.Services, io, ct);
                await CheckLfsAsync(app.Services, Report, ct);
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

    /// <summary>
    /// Git LFS objects: every object a repository holds has its file, of its size, and every stored
    /// file hashes to its name (SHA-256). A damaged or missing object fails the check, named.
    /// </summary>
    private static async Task CheckLfsAsync(IServiceProvider root, Action<bool, string, string> report, CancellationToken ct)
    {
        using var scope = root.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        var store = root.GetRequiredService<Lfs.LfsObjectStore>();
        try
        {
            var held = await db.LfsObjects.AsNoTracking().Select(o => new { o.Oid, o.Size }).Distinct().ToListAsync(ct);
            var missing = held.Where(o => !store.Exists(o.Oid, o.Size)).Select(o => o.Oid).ToList();
            var damaged = new List<string>();
            var stored = 0;
            foreach (var oid in store.StoredOids())
            {
                stored++;
                await using var file = store.OpenRead(oid);
                if (!Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(file, ct)).Equals(oid, StringComparison.Ordinal))
                    damaged.Add(oid);
            }
            var problems = missing.Select(o => $"{o} is missing or of the wrong size").Concat(damaged.Select(o => $"{o} does not hash to its name")).ToList();
            report(problems.Count == 0, "git lfs objects", problems.Count == 0
                ? $"{stored} stored, each hashes to its name; every object a repository holds is there"
                : string.Join("; ", problems.Take(20)) + (problems.Count > 20 ? $"; and {problems.Count - 20} more" : ""));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            report(false, "git lfs objects", "not checked: " + e.Message);
        }
    }

    /// <summary>
    /// Files whose names hold "%2F" on a branch tip: before paths in the contents API were decoded
    /// (issue #15), a client that sent docs%2Fa.md got a root file of that literal name. They are
    /// listed, not changed (a name may be meant), and do not fail the check.
    /// </summary>
    private static async Task CheckEncodedNamesAsync(IServiceProvider root, AdminConsole io, CancellationToken ct)
    {
        using var scope = root.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        var store = scope.ServiceProvider.GetRequiredService<RepositoryStore>();
        var found = new List<string>();
        try
        {
            foreach (var repo in await db.Repositories.AsNoTracking().Include(r => r.Owner).OrderBy(r => r.Id).ToListAsync(ct))
            {
                var path = store.PathOf(repo);
                if (!Directory.Exists(path))
                    continue;
                var tips = await GitCommand.RunAsync(path, ["for-each-ref", "--format=%(objectname) %(refname:short)", "refs/heads/"], ct);
                foreach (var line in tips.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (sha, branch) = (line[..line.IndexOf(' ', StringComparison.Ordinal)], line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
                    var names = await GitCommand.RunAsync(path, ["ls-tree", "-r", "-z", "--name-only", sha], ct);
                    found.AddRange(names.Text.Split('\0', StringSplitOptions.RemoveEmptyEntries)
                        .Where(n => n.Contains("%2F", StringComparison.OrdinalIgnoreCase))
                        .Select(n => $"{repo.Owner!.UserName}/{repo.Name} {branch}: {AccountCommands.Printable(n)}"));
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            io.Out.WriteLine($"FAIL  encoded file names: not checked: {e.Message}");
            return;
        }
        io.Out.WriteLine(found.Count == 0
            ? "ok    encoded file names: no file name holds %2F"
            : $"note  encoded file names: {found.Count} file name(s) hold %2F, probably written through the contents API before paths were decoded:");
        foreach (var each in found.Take(50))
            io.Out.WriteLine("        " + each);
        if (found.Count > 50)
            io.Out.WriteLine($"        … and {found.Count - 50} more");
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
