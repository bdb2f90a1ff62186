using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Unit;

/// <summary>Each provider keeps its own migrations of the one model; they must be complete and in step.</summary>
public sealed class MigrationsTests
{
    private static SqliteLatchkeyDb Sqlite() => new SqliteDesignTimeFactory().CreateDbContext([]);

    private static PostgresLatchkeyDb Postgres() => new PostgresDesignTimeFactory().CreateDbContext([]);

    [Fact]
    public void The_sqlite_migrations_cover_the_whole_model()
    {
        using var db = Sqlite();
        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a SQLite migration: add one for both providers (README, Changing the database).");
    }

    [Fact]
    public void The_postgres_migrations_cover_the_whole_model()
    {
        using var db = Postgres();
        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a PostgreSQL migration: add one for both providers (README, Changing the database).");
    }

    [Fact]
    public void Both_providers_have_the_same_migrations_in_the_same_order()
    {
        using var sqlite = Sqlite();
        using var postgres = Postgres();
        // Ids are "yyyyMMddHHmmss_Name": the timestamps differ by when each was generated, the names must not.
        static List<string> Names(LatchkeyDb db) => db.Database.GetMigrations().Select(id => id[(id.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();
        var names = Names(sqlite);
        Assert.NotEmpty(names);
        Assert.Equal(names, Names(postgres));
    }
}
