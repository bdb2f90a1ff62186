using Latchkey.Authorization;
using Latchkey.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Data;

public enum DatabaseProvider
{
    /// <summary>The embedded default: one SQLite file in the data directory, one server process.</summary>
    Sqlite,

    /// <summary>Production mode: PostgreSQL, shared by any number of nodes.</summary>
    Postgres,
}

/// <summary>Configuration section "Database".</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// Apply pending migrations at start (the default). When false, the server only checks, and refuses
    /// to start while migrations are pending, for operators who run `latchkey admin migrate` themselves.
    /// </summary>
    public bool MigrateOnStart { get; set; } = true;
}

public static class DataSetup
{
    public const string ConnectionStringName = "Latchkey";

    /// <remarks>
    /// Contexts are pooled: a request rents a reset one instead of building one, which was a large part
    /// of a token check's cost (bench/RESULTS.md). LatchkeyDb keeps no per-request state of its own.
    /// </remarks>
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        var options = ReadOptions(builder.Configuration);
        builder.Services.AddSingleton(options);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (options.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new InvalidOperationException("Database:Provider is Postgres but no connection string is set: give ConnectionStrings:Latchkey (environment variable ConnectionStrings__Latchkey).");
            builder.Services.AddDbContextPool<LatchkeyDb, PostgresLatchkeyDb>(db => db.UseNpgsql(connectionString));
            // Several nodes share one database: so do their throttle and rate-limit counts.
            builder.Services.AddScoped<ICounters, DatabaseCounters>();
            builder.Services.AddScoped<IHotReads, DbContextHotReads>();
        }
        else
        {
            string SqliteConnectionString(IServiceProvider services) => string.IsNullOrWhiteSpace(connectionString)
                ? $"Data Source={services.GetRequiredService<DataDirectory>().Database};Pooling=True"
                : connectionString;
            builder.Services.AddDbContextPool<LatchkeyDb, SqliteLatchkeyDb>((services, db) => db.UseSqlite(SqliteConnectionString(services)));
            builder.Services.AddSingleton<ICounters, MemoryCounters>();
            builder.Services.AddSingleton<IHotReads>(services => new SqliteHotReads(SqliteConnectionString(services)));
        }
        // The schema is brought up to date when the server starts, not when the app is built:
        // `latchkey admin` builds the same app without starting it, and must never migrate unasked.
        builder.Services.AddHostedService<MigrationAtStart>();
        return builder;
    }

    public static DatabaseOptions ReadOptions(IConfiguration configuration)
    {
        var section = configuration.GetSection("Database");
        var provider = section["Provider"];
        var options = new DatabaseOptions();
        if (!string.IsNullOrWhiteSpace(provider))
        {
            if (!Enum.TryParse<DatabaseProvider>(provider, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                throw new InvalidOperationException($"Database:Provider must be Sqlite or Postgres, not '{provider}'.");
            options.Provider = parsed;
        }
        if (section["MigrateOnStart"] is { } migrate)
        {
            if (!bool.TryParse(migrate, out var parsed))
                throw new InvalidOperationException($"Database:MigrateOnStart must be true or false, not '{migrate}'.");
            options.MigrateOnStart = parsed;
        }
        return options;
    }

    /// <summary>Brings the schema up to date, or (MigrateOnStart=false) refuses to start while it is not.</summary>
    public static void MigrateDatabase(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        if (services.GetRequiredService<DatabaseOptions>().MigrateOnStart)
            Migrate(db);
        else
        {
            var pending = db.Database.GetPendingMigrations().ToList();
            if (pending.Count > 0)
                throw new InvalidOperationException($"The database needs {pending.Count} migration(s) ({string.Join(", ", pending)}) and Database:MigrateOnStart is false: run `latchkey admin migrate` first.");
        }
    }

    /// <summary>Applies pending migrations; concurrent callers (nodes starting together) are serialised by EF's migration lock.</summary>
    public static IReadOnlyList<string> Migrate(LatchkeyDb db)
    {
        var pending = db.Database.GetPendingMigrations().ToList();
        db.Database.Migrate();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers and the one writer work at once.
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        return pending;
    }
}

/// <summary>
/// Migrates as the host starts, in the "starting" phase, which runs before any hosted service starts
/// (the reminder job, the server itself): nothing touches the database before its schema is current.
/// </summary>
internal sealed class MigrationAtStart(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        DataSetup.MigrateDatabase(services);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
