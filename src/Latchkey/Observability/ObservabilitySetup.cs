using Latchkey.Api;
using Latchkey.Authorization;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Latchkey.Observability;

/// <summary>
/// Metrics (OpenTelemetry), off by default (<c>Metrics:Enabled</c>). When on, Latchkey's own meter and
/// ASP.NET Core's request metrics are collected and <c>GET /api/v3/metrics</c> serves them in
/// Prometheus' text format to a site administrator (a session, or a token with <c>site_admin</c>);
/// anyone else hears what the administration API answers them.
/// </summary>
public static class ObservabilitySetup
{
    public const string DoorTag = "latchkey.door";

    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LatchkeyMetrics>();
        if (!MetricsEnabled(builder.Configuration))
            return builder;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("latchkey", serviceVersion: GitHubEnterprise.LatchkeyVersion))
            .WithMetrics(metrics => metrics
            .AddMeter(LatchkeyMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return builder;
    }

    /// <summary>Tags each request's ASP.NET Core metrics with the door it came through.</summary>
    public static WebApplication UseDoorTags(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new(DoorTag, DoorOf(context.Request.Path)));
            return next(context);
        });
        return app;
    }

    /// <summary>api, graphql, lfs, git or web.</summary>
    public static string DoorOf(PathString path)
    {
        var value = path.Value ?? "";
        if (value.StartsWith("/api/v3", StringComparison.OrdinalIgnoreCase))
            return "api";
        if (value.StartsWith("/api/graphql", StringComparison.OrdinalIgnoreCase))
            return "graphql";
        if (value.Contains(".git/info/lfs", StringComparison.Ordinal))
            return "lfs";
        if (value.Contains(".git/", StringComparison.Ordinal) || value.EndsWith(".git", StringComparison.Ordinal))
            return "git";
        return "web";
    }

    /// <summary>
    /// <c>GET /api/v3/metrics</c>, through the API gate like every endpoint there (site administrators
    /// only); 404 while metrics are off. The exporter's own pipeline writes the scrape.
    /// </summary>
    public static void MapMetricsApi(this RouteGroupBuilder api)
    {
        var routes = (IEndpointRouteBuilder)api;
        var scrape = new Lazy<RequestDelegate?>(() =>
        {
            if (routes.ServiceProvider.GetService<MeterProvider>() is not { } provider)
                return null;
            var pipeline = routes.CreateApplicationBuilder();
            pipeline.UseOpenTelemetryPrometheusScrapingEndpoint(provider, _ => true, path: null, configureBranchedPipeline: null, optionsName: null);
            return pipeline.Build();
        });
        api.MapGet("/metrics", (HttpContext context) =>
            scrape.Value is { } write ? write(context) : ApiErrors.NotFound().ExecuteAsync(context))
            .Requires(SiteAdminRequirement.Instance);
    }

    private static bool MetricsEnabled(ConfigurationManager configuration)
    {
        var text = configuration["Metrics:Enabled"];
        if (string.IsNullOrEmpty(text))
            return false;
        return bool.TryParse(text, out var enabled)
            ? enabled
            : throw new InvalidOperationException($"Metrics:Enabled must be true or false, not '{text}'.");
    }
}
