using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Latchkey.Tests.Support;

/// <summary>
/// Which database the integration suite runs on. Latchkey.Tests runs it on SQLite (a file in each
/// server's data directory); Latchkey.PostgresTests compiles the same tests with POSTGRES defined and
/// runs them against the PostgreSQL server named by LATCHKEY_TEST_POSTGRES (tests/postgres.sh starts
/// one), with a fresh database per data directory.
/// </summary>
public static class TestDatabase
{
#if POSTGRES
    public static bool IsPostgres => true;
#else
    public static bool IsPostgres => false;
#endif

    private static string? PostgresServer => Environment.GetEnvironmentVariable("LATCHKEY_TEST_POSTGRES");

    /// <summary>Why the PostgreSQL pass cannot run here, or null when it can (or must, under LATCHKEY_REQUIRE_ALL=1).</summary>
    public static string? SkipReason =>
        IsPostgres && string.IsNullOrWhiteSpace(PostgresServer) && Environment.GetEnvironmentVariable("LATCHKEY_REQUIRE_ALL") != "1"
            ? "PostgreSQL pass skipped: no server configured. Set LATCHKEY_TEST_POSTGRES=\"$(bash tests/postgres.sh start)\" to run it."
            : null;

    private static string ServerConnectionString => string.IsNullOrWhiteSpace(PostgresServer)
        ? throw new InvalidOperationException("The PostgreSQL pass needs a server: set LATCHKEY_TEST_POSTGRES (bash tests/postgres.sh start prints it). LATCHKEY_REQUIRE_ALL=1 makes its absence a failure.")
        : PostgresServer!;

    /// <summary>The database that belongs to a data directory (so a restart on the same directory finds its data).</summary>
    public static string DatabaseName(string dataDirectory) =>
        "lk_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..24];

    public static string ConnectionString(string dataDirectory) => new NpgsqlConnectionStringBuilder(ServerConnectionString)
    {
        Database = DatabaseName(dataDirectory),
        MaxPoolSize = 20,
    }.ConnectionString;

    /// <summary>Server settings for a data directory: for PostgreSQL, creates its database when it does not exist yet.</summary>
    public static async Task<Dictionary<string, string>> SettingsForAsync(string dataDirectory)
    {
        if (!IsPostgres)
            return [];
        await using var admin = new NpgsqlConnection(ServerConnectionString);
        await admin.OpenAsync();
        var name = DatabaseName(dataDirectory);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin))
        {
            exists.Parameters.AddWithValue("name", name);
            if (await exists.ExecuteScalarAsync() is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
                await create.ExecuteNonQueryAsync();
            }
        }
        return new Dictionary<string, string>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Latchkey"] = ConnectionString(dataDirectory),
        };
    }

    public static async Task DropAsync(string dataDirectory)
    {
        if (!IsPostgres)
            return;
        await using (var pooled = new NpgsqlConnection(ConnectionString(dataDirectory)))
            NpgsqlConnection.ClearPool(pooled);
        await using var admin = new NpgsqlConnection(ServerConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName(dataDirectory)}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>An open connection to a server's database, for tests that look under the hood. SQL: quote identifiers, @name parameters.</summary>
    public static async Task<DbConnection> OpenAsync(string dataDirectory, bool write = false)
    {
        DbConnection connection = IsPostgres
            ? new NpgsqlConnection(ConnectionString(dataDirectory) + ";Pooling=false")
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "latchkey.db")};Mode={(write ? "ReadWrite" : "ReadOnly")};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs one statement and returns the first column of the first row (or the row count for statements without rows).</summary>
    public static async Task<object?> ExecuteAsync(string dataDirectory, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(dataDirectory, write: true);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        if (sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
            return await command.ExecuteScalarAsync();
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Everything the database holds, as text: for SQLite the raw bytes of its files (freed pages and
    /// the write-ahead log included), for PostgreSQL every row of every table.
    /// </summary>
    public static async Task<string> DumpAsync(string dataDirectory)
    {
        var text = new StringBuilder();
        if (!IsPostgres)
        {
            foreach (var file in Directory.EnumerateFiles(dataDirectory, "latchkey.db*"))
                text.Append(Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file))).Append('\n');
            return text.ToString();
        }
        await using var connection = await OpenAsync(dataDirectory);
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }
        Assert.Contains("PersonalAccessTokens", tables);
        foreach (var table in tables)
        {
            await using var rows = connection.CreateCommand();
            rows.CommandText = $"SELECT t::text FROM \"{table}\" t";
            await using var reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                text.Append(table).Append(' ').Append(reader.GetString(0)).Append('\n');
        }
        return text.ToString();
    }
}
