using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Tests.Support;

/// <summary>
/// The real server on a loopback port with its own temporary data directory and a fake clock.
/// It records every 5xx response and every log line, so tests can assert none leaked.
/// </summary>
public sealed class LatchkeyServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly ConcurrentQueue<string> _errors;
    private readonly ConcurrentQueue<string> _logs;

    private LatchkeyServer(WebApplication app, string dataDirectory, FakeTimeProvider clock, Uri baseAddress, ConcurrentQueue<string> errors, ConcurrentQueue<string> logs)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Clock = clock;
        BaseAddress = baseAddress;
        _errors = errors;
        _logs = logs;
    }

    public string DataDirectory { get; }
    public FakeTimeProvider Clock { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>Every address the server listens on (several when started with several URLs).</summary>
    public IReadOnlyList<string> Addresses { get; private init; } = [];

    /// <summary>Servers that are running, so that every test can be checked for server errors after it ends.</summary>
    public static ConcurrentDictionary<LatchkeyServer, byte> Live { get; } = new();

    private int _reported;

    /// <summary>5xx responses not yet reported by <see cref="NoServerErrorsAttribute"/>.</summary>
    public IReadOnlyList<string> TakeUnreportedErrors()
    {
        var all = _errors.ToList();
        var fresh = all.Skip(_reported).ToList();
        _reported = all.Count;
        return fresh;
    }

    /// <summary>False when the data directory was handed in (a restart): it then outlives this server.</summary>
    private bool _ownsData = true;

    public static async Task<LatchkeyServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null, string urls = "http://127.0.0.1:0", string? reuseDataDirectory = null)
    {
        var dataDirectory = reuseDataDirectory ?? Directory.CreateTempSubdirectory("latchkey-test-").FullName;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var errors = new ConcurrentQueue<string>();
        var logs = new ConcurrentQueue<string>();
        List<string> args = ["--urls", urls, "--data-dir", dataDirectory];
        // The reminder job runs on its own clock ticks; tests that want it turn it on.
        if (settings?.ContainsKey("Reminders:Enabled") != true)
            args.Add("--Reminders:Enabled=false");
        foreach (var (key, value) in await TestDatabase.SettingsForAsync(dataDirectory))
            args.Add($"--{key}={value}");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            args.Add($"--{key}={value}");
        var app = Program.BuildApp([.. args], builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            // Tests read the SQL the server ran (to see a cache at work, and that no secret is in it).
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Debug);
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
            builder.Services.AddSingleton<IStartupFilter>(new ServerErrorRecorder(errors));
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        var server = new LatchkeyServer(app, dataDirectory, clock, new Uri(addresses[0] + "/"), errors, logs) { Addresses = addresses, _ownsData = reuseDataDirectory is null };
        Live[server] = 0;
        return server;
    }

    /// <summary>Every response with a 5xx status so far (method, path, status).</summary>
    public IReadOnlyList<string> FiveHundreds => _errors.ToList();

    /// <summary>Everything the server logged so far.</summary>
    public string AllLogs => string.Join('\n', _logs);

    public string Url(string path) => new Uri(BaseAddress, path.TrimStart('/')).ToString();

    public WebSession NewBrowserSession(System.Net.IPAddress? from = null) => new(this, from);

    public async ValueTask DisposeAsync()
    {
        Live.TryRemove(this, out _);
        var unreported = TakeUnreportedErrors();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            if (_ownsData)
            {
                await TestDatabase.DropAsync(DataDirectory);
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A git process may still be closing; the temp folder is the OS's to clean then.
        }
        Assert.True(unreported.Count == 0, "Server errors:\n" + string.Join('\n', unreported));
    }

    private sealed class ServerErrorRecorder(ConcurrentQueue<string> errors) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate nextMiddleware) =>
            {
                try
                {
                    await nextMiddleware(context);
                }
                catch (Exception e)
                {
                    errors.Enqueue($"{context.Request.Method} {context.Request.Path}: unhandled {e.GetType().Name}");
                    throw;
                }
                // A readiness probe's 503 is its designed answer ("not ready"), not a server error; a
                // test that expects one must not see it reported by whichever test happens to end first.
                var notReady = context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable && context.Request.Path == "/readyz";
                if (context.Response.StatusCode >= 500 && !notReady)
                    errors.Enqueue($"{context.Request.Method} {context.Request.Path}: {context.Response.StatusCode}");
            });
            next(app);
        };
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
