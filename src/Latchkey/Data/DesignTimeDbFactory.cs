using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Latchkey.Data;

/// <summary>
/// Lets `dotnet ef migrations add NAME --context SqliteLatchkeyDb` build the model without starting the
/// server. Migrations are added for both providers together (README, "Changing the database").
/// </summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteLatchkeyDb>
{
    public SqliteLatchkeyDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteLatchkeyDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>The same for `--context PostgresLatchkeyDb`; generating a migration needs no server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresLatchkeyDb>
{
    public PostgresLatchkeyDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresLatchkeyDb>().UseNpgsql("Host=localhost;Database=latchkey_design").Options);
}
