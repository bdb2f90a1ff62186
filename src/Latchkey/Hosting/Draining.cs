namespace Latchkey.Hosting;

/// <summary>
/// Taking a stopping node out of a load balancer's rotation before it closes its port
/// (`Latchkey:DrainDelay`, default 0: a single server stops at once). From SIGTERM on, /readyz answers
/// 503 ("draining"), which a balancer with active health checks acts on. For the delay the node keeps
/// its port open and serves as before, except that a new GET or HEAD request is answered 503 with
/// `Connection: close` and nothing done: those are the requests any proxy may repeat elsewhere, and
/// nginx, which has only passive checks, repeats it on the other node and marks this one failed for its
/// `fail_timeout` (deploy/nginx.conf). Other methods are served: nginx does not repeat a POST, so it
/// must not fail. When the delay ends the balancer has stopped sending, and the node closes its port
/// (a connection refused is repeated elsewhere whatever the method, since nothing reached the node),
/// lets running requests finish (`Latchkey:ShutdownTimeout`) and exits.
/// </summary>
public sealed partial class Draining(IHostApplicationLifetime lifetime, TimeSpan delay, ILogger<Draining> logger) : IHostedLifecycleService
{
    /// <summary>True from the moment the node is told to stop.</summary>
    public bool IsDraining => lifetime.ApplicationStopping.IsCancellationRequested;

    /// <summary>How long the node answers new GET and HEAD requests 503 before it stops listening.</summary>
    public TimeSpan Delay => delay;

    /// <summary>Runs before the web server stops listening (the host calls every StoppingAsync first).</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
            return;
        Log.Draining(logger, delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout is shorter than the delay: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: draining for {Seconds} s (readiness 503, new GET and HEAD requests 503) before the port closes")]
        public static partial void Draining(ILogger logger, double seconds);
    }
}

public static class DrainingSetup
{
    public const string Setting = "Latchkey:DrainDelay";

    public static WebApplicationBuilder AddDraining(this WebApplicationBuilder builder)
    {
        var configured = builder.Configuration[Setting];
        var delay = TimeSpan.Zero;
        if (configured is not null
            && (!TimeSpan.TryParse(configured, System.Globalization.CultureInfo.InvariantCulture, out delay) || delay < TimeSpan.Zero || delay > TimeSpan.FromMinutes(10)))
            throw new InvalidOperationException($"{Setting} must be a duration between 00:00:00 and 00:10:00, not '{configured}'.");
        builder.Services.AddSingleton(services => new Draining(services.GetRequiredService<IHostApplicationLifetime>(), delay, services.GetRequiredService<ILogger<Draining>>()));
        builder.Services.AddSingleton<IHostedService>(services => services.GetRequiredService<Draining>());
        return builder;
    }

    /// <summary>While draining, a new GET or HEAD (but the health probes) is answered 503 and its connection closed.</summary>
    public static WebApplication UseDraining(this WebApplication app)
    {
        var draining = app.Services.GetRequiredService<Draining>();
        if (draining.Delay <= TimeSpan.Zero)
            return app;
        app.Use(async (context, next) =>
        {
            if (draining.IsDraining && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) && !Health.IsHealthPath(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.Connection = "close";
                context.Response.Headers.RetryAfter = "1";
                context.Response.Headers.CacheControl = "no-store";
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("This node is stopping; try again.\n", context.RequestAborted);
                return;
            }
            await next(context);
        });
        return app;
    }
}
