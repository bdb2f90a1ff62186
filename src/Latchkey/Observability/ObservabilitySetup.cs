using Latchkey.Api;
using Latchkey.Authorization;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Latchkey.Observability;

/// <summary>
/// Metrics (OpenTelemetry), off by default (<c>Metrics:Enabled</c>). When on, Latchkey's own meter and
/// ASP.NET Core's request metrics are collected and <c>GET /api/v3/metrics</c> serves them in
/// Prometheus' text format to a site administrator (a session, or a token with <c>site_admin</c>);
/// anyone else hears what the administration API answers them.
/// Traces (OpenTelemetry), off by default: with <c>Tracing:OtlpEndpoint</c> each request's span (and
/// the git process it runs, <see cref="LatchkeyTracing"/>) is sent over OTLP/HTTP, and the request id
/// a response names (X-Request-Id, X-GitHub-Request-Id) is its trace id.
/// </summary>
public static class ObservabilitySetup
{
    public const string DoorTag = "latchkey.door";

    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LatchkeyMetrics>();
        var metricsOn = MetricsEnabled(builder.Configuration);
        var traces = TracesEndpoint(builder.Configuration);
        if (!metricsOn && traces is null)
            return builder;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("latchkey", serviceVersion: GitHubEnterprise.LatchkeyVersion));
        if (metricsOn)
        {
            telemetry.WithMetrics(metrics => metrics
                .AddMeter(LatchkeyMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter());
        }
        if (traces is not null)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(LatchkeyTracing.SourceName)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = traces;
                    otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                }));
        }
        return builder;
    }

    /// <summary>Where traces go (OTLP over HTTP: the collector's base address, or its /v1/traces), or null when tracing is off.</summary>
    private static Uri? TracesEndpoint(ConfigurationManager configuration)
    {
        var text = configuration["Tracing:OtlpEndpoint"];
        if (string.IsNullOrEmpty(text))
            return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"Tracing:OtlpEndpoint must be an http or https address of an OpenTelemetry collector, not '{text}'.");
        return uri.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal) ? uri : new Uri(uri, uri.AbsolutePath.TrimEnd('/') + "/v1/traces");
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
