using Latchkey.Data;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Hosting;

/// <summary>
/// For load balancers and orchestrators: /healthz says the process is alive (no dependencies);
/// /readyz says this node can serve: database reachable, repositories directory writable, git present,
/// and not stopping (from SIGTERM on it answers 503, <see cref="Draining"/>).
/// Both answer plain text, need no credentials and are exempt from the HTTPS redirect.
/// </summary>
public static class Health
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";
    private const string Ready = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: [Ready])
            .AddCheck<RepositoriesCheck>("repositories", tags: [Ready])
            .AddCheck<GitCheck>("git", tags: [Ready])
            .AddCheck<DrainingCheck>("draining", tags: [Ready]);
        return builder;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).DisableHttpMetrics();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteAsync }).DisableHttpMetrics();
        return app;
    }

    public static bool IsHealthPath(PathString path) => path.Equals(LivePath, StringComparison.Ordinal) || path.Equals(ReadyPath, StringComparison.Ordinal);

    /// <summary>"Healthy", then one line per check: name, status, and why when it is not healthy.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var lines = new List<string> { report.Status.ToString() };
        lines.AddRange(report.Entries.Select(e => $"{e.Key}: {e.Value.Status}{(e.Value.Description is { } why ? " (" + why + ")" : "")}"));
        return context.Response.WriteAsync(string.Join('\n', lines) + "\n", context.RequestAborted);
    }

    private sealed class DatabaseCheck(LatchkeyDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                return await db.Database.CanConnectAsync(cancellationToken)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("the database cannot be reached");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The reason stays in the server log; the probe gets a fixed message.
                return HealthCheckResult.Unhealthy("the database cannot be reached", e);
            }
        }
    }

    private sealed class RepositoriesCheck(DataDirectory data) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var probe = Path.Combine(data.Repositories, $".ready-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                await File.WriteAllTextAsync(probe, "", cancellationToken);
                File.Delete(probe);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return HealthCheckResult.Unhealthy("the repositories directory is not writable", e);
            }
        }
    }

    private sealed class DrainingCheck(Draining draining) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(draining.IsDraining ? HealthCheckResult.Unhealthy("the node is stopping") : HealthCheckResult.Healthy());
    }

    private sealed class GitCheck : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var version = await GitCommand.VersionAsync(cancellationToken);
            // The version stays private: it tells an attacker which git flaws to try.
            return version is null ? HealthCheckResult.Unhealthy("git could not be run") : HealthCheckResult.Healthy();
        }
    }
}
