using Latchkey.Accounts;
using Latchkey.Admin;
using Latchkey.Api;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Git;
using Latchkey.GraphQL;
using Latchkey.Hosting;
using Latchkey.Lfs;
using Latchkey.Notifications;
using Latchkey.Observability;
using Latchkey.Repositories;
using Latchkey.SecurityLog;
using Latchkey.Tokens;

namespace Latchkey;

public partial class Program
{
    public static async Task<int> Main(string[] args)
    {
        // `latchkey admin <command>`: administration on the server's own configuration, without serving.
        if (args is ["admin", .. var command])
            return await AdminCommandLine.RunAsync(command, AdminCommandLine.StandardInput(), Console.Out, Console.Error);
        WebApplication app;
        try
        {
            app = BuildApp(args);
            await app.StartAsync();
        }
        catch (Exception e) when (OptionRules.ConfigurationProblem(e) is { } problem)
        {
            // A bad setting stops the server with one line naming it, and a failing exit status.
            await Console.Error.WriteLineAsync($"latchkey: cannot start: {problem}");
            return 1;
        }
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>Builds the whole server; tests pass <paramref name="customize"/> to swap the clock or settings.</summary>
    public static WebApplication BuildApp(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // Content (wwwroot, appsettings) sits beside the binary, so the server runs from any directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = DevCertificate.ExpandFlag(args),
            ContentRootPath = AppContext.BaseDirectory,
            // Tests host the server from their own assembly; pages and settings belong to this one.
            ApplicationName = typeof(Program).Assembly.GetName().Name,
        });

        // Where everything lives: the data directory (--data-dir), the clock
        builder.AddHosting();
        // --dev-certificate: HTTPS with a self-signed certificate kept in the data directory (local use, tests, gh)
        builder.AddDevCertificate();
        // The database: EF Core on SQLite by default, migrated as the server starts
        builder.AddData();
        // Accounts: Identity, sign-in cookie, profile pictures
        builder.AddAccounts();
        // The security log: what happened to each account
        builder.AddSecurityLog();
        // Personal access tokens: format, digest, verification
        builder.AddTokens();
        // Who is calling (the token authentication scheme) and what they may do (AccessPolicy)
        builder.AddAccessPolicy();
        // Mail, and the token expiry reminders it carries
        builder.AddNotifications();
        // Repositories on disk and their records
        builder.AddRepositories();
        // Git smart HTTP
        builder.AddGitHttp();
        // Git LFS: the batch API, transfers and file locks, objects stored once under the data directory
        builder.AddLfs();
        // The GitHub-compatible API under /api/v3 (so far: the user, reporting leaked tokens)
        builder.AddApi();
        // GitHub's GraphQL API at /api/graphql (what gh sends)
        builder.AddGraphQLApi();
        // Production: forwarded headers from known proxies, health probes
        builder.AddProxySupport();
        builder.AddHealth();
        // Stopping behind a load balancer: out of rotation first (Latchkey:DrainDelay), then the port closes
        builder.AddDraining();
        // Metrics for operators (OpenTelemetry; a Prometheus scrape at /api/v3/metrics), off by default
        builder.AddObservability();
        // The web UI
        builder.Services.AddRazorPages().AddMvcOptions(mvc => mvc.Filters.Add<Latchkey.Tokens.TokenPolicyPageFilter>());
        builder.Services.AddSingleton<Latchkey.Pages.Octicons>();

        // Request lines carry query strings, where a careless client may put a token: never log them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Every SQL statement at Information costs more than the request that ran it (bench/RESULTS.md);
        // `--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=Information` brings them back.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);

        customize?.Invoke(builder);
        // Last, so that every provider, however it was added, writes no token in plaintext.
        builder.Services.RedactTokensInLogs();

        var app = builder.Build();

        app.UseProxySupport();
        app.UseDoorTags();
        app.UseRequestLog();
        app.UseDraining();
        app.UseSecurityHeaders();
        app.UseHttpsPolicy();
        app.UseLatchkeyErrors();
        app.UseStaticFiles();
        app.UseFreshSessionAtSignIn();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapHealth();
        app.MapAvatars();
        app.MapGitHttp();
        app.MapLfs();
        app.MapRawFiles();
        app.MapArchives();
        app.MapApi();
        app.MapGraphQLApi();
        app.MapBenchEndpoints();
        app.MapRazorPages();
        return app;
    }
}
