using System.Collections.Concurrent;
using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latchkey.Data;

/// <summary>
/// The reads a token-authenticated API call makes on every request: the credential epoch (see
/// TokenCache) and, for GET /user, the caller's public repository count. They are plain SQL, kept
/// out of EF's per-query machinery because the profile of GET /api/v3/user showed it dominating
/// (bench/RESULTS.md).
/// </summary>
public interface IHotReads
{
    /// <summary>The credential epoch as committed now (table CredentialEpochs, Id 1).</summary>
    ValueTask<long> CredentialEpochAsync(CancellationToken ct);

    /// <summary>How many public repositories the user owns.</summary>
    ValueTask<int> PublicRepositoryCountAsync(long ownerId, CancellationToken ct);
}

internal static class HotSql
{
    public const string Epoch = "SELECT \"Value\" FROM \"CredentialEpochs\" WHERE \"Id\" = 1";
    public const string PublicRepositories = "SELECT COUNT(*) FROM \"Repositories\" WHERE \"OwnerId\" = @owner AND NOT \"IsPrivate\"";

    public static long Long(object? value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);
}

/// <summary>
/// The embedded default: a few SQLite connections held open with both statements prepared. Opening
/// and closing EF's pooled connection per query cost more than the query: EF registers its SQL
/// functions on every open and SQLite unregisters them on every close. These connections carry no
/// such functions and are never closed while the server runs. An autocommit SELECT on a WAL
/// database reads the latest commit, so a held connection sees every change at once.
/// </summary>
public sealed class SqliteHotReads(string connectionString) : IHotReads, IDisposable
{
    /// <summary>Idle connections kept for reuse; requests beyond it open one and close it after.</summary>
    private static readonly int MaxIdle = Math.Max(4, Environment.ProcessorCount * 2);

    private readonly ConcurrentBag<Reader> _idle = [];
    private bool _disposed;

    public ValueTask<long> CredentialEpochAsync(CancellationToken ct) =>
        ValueTask.FromResult(Use(reader => HotSql.Long(reader.Epoch.ExecuteScalar())));

    public ValueTask<int> PublicRepositoryCountAsync(long ownerId, CancellationToken ct) =>
        ValueTask.FromResult(Use(reader =>
        {
            reader.Owner.Value = ownerId;
            return (int)HotSql.Long(reader.PublicRepositories.ExecuteScalar());
        }));

    private T Use<T>(Func<Reader, T> read)
    {
        var reader = _idle.TryTake(out var idle) ? idle : new Reader(connectionString);
        T result;
        try
        {
            result = read(reader);
        }
        catch
        {
            // A connection that failed is not trusted again.
            reader.Dispose();
            throw;
        }
        if (Volatile.Read(ref _disposed) || _idle.Count >= MaxIdle)
            reader.Dispose();
        else
            _idle.Add(reader);
        return result;
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_idle.TryTake(out var reader))
            reader.Dispose();
    }

    private sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;

        public Reader(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            Epoch = Prepared(HotSql.Epoch);
            PublicRepositories = Prepared(HotSql.PublicRepositories);
            Owner = PublicRepositories.Parameters.Add("@owner", SqliteType.Integer);
        }

        public SqliteCommand Epoch { get; }
        public SqliteCommand PublicRepositories { get; }
        public SqliteParameter Owner { get; }

        private SqliteCommand Prepared(string sql)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
            return command;
        }

        public void Dispose()
        {
            Epoch.Dispose();
            PublicRepositories.Dispose();
            _connection.Dispose();
        }
    }
}

/// <summary>
/// Production mode (PostgreSQL): the same reads on the request's own DbContext connection, whose
/// opening costs little (Npgsql's pool, no per-open setup), inside its transaction if one is open.
/// </summary>
public sealed class DbContextHotReads(LatchkeyDb db) : IHotReads
{
    public async ValueTask<long> CredentialEpochAsync(CancellationToken ct) =>
        HotSql.Long(await ScalarAsync(HotSql.Epoch, null, ct));

    public async ValueTask<int> PublicRepositoryCountAsync(long ownerId, CancellationToken ct) =>
        (int)HotSql.Long(await ScalarAsync(HotSql.PublicRepositories, ownerId, ct));

    private async Task<object?> ScalarAsync(string sql, long? owner, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != ConnectionState.Open;
        if (opened)
            await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            if (owner is { } id)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@owner";
                parameter.Value = id;
                command.Parameters.Add(parameter);
            }
            return await command.ExecuteScalarAsync(ct);
        }
        finally
        {
            if (opened)
                await db.Database.CloseConnectionAsync();
        }
    }
}
