using System.Globalization;
using System.Net;
using BenchmarkDotNet.Attributes;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Benchmarks;

/// <summary>
/// A token check as a request pays for it, against a real SQLite database holding 1,000 or
/// 1,000,000 tokens, with the credential cache warm: <see cref="VerifyAsync"/> reads the credential
/// epoch (one primary-key lookup) and then finds the token in memory; <see cref="CachedInMemory"/>
/// is the part that does not touch the database (parse, checksum, digest, cache lookup). The
/// database is built once per size under the temp folder and reused.
/// </summary>
public class CredentialLookupBenchmarks
{
    private WebApplication _app = null!;
    private string _token = "";
    private readonly TokenUse _use = new("127.0.0.1", "bench");

    [Params(1_000, 1_000_000)]
    public int TokensInDatabase { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"latchkey-bench-tokens-{TokensInDatabase}");
        // The server as built, minus console logging of every SQL command (that cost is api.sh's to show).
        _app = global::Latchkey.Program.BuildApp(["--data-dir", dir, "--Logging:LogLevel:Default=Warning"]);
        // Building does not migrate (the server does as it starts): a database from an older build needs it.
        DataSetup.MigrateDatabase(_app.Services);
        _digest = _app.Services.GetRequiredService<TokenDigest>();
        _cache = _app.Services.GetRequiredService<TokenCache>();
        var tokenFile = Path.Combine(dir, "bench-token.txt");
        if (!File.Exists(tokenFile))
            await FillAsync(tokenFile);
        _token = await File.ReadAllTextAsync(tokenFile);
        if (await VerifyAsync() is not { Result: TokenCheckResult.Valid })
            throw new InvalidOperationException($"The benchmark token does not verify; delete {dir} and run again.");
        using (var scope = _app.Services.CreateScope())
            _epoch = await scope.ServiceProvider.GetRequiredService<IHotReads>().CredentialEpochAsync(CancellationToken.None);
        if (CachedInMemory() is null)
            throw new InvalidOperationException("The verified token is not in the cache.");
    }

    private TokenDigest _digest = null!;
    private TokenCache _cache = null!;
    private long _epoch;

    /// <summary>The in-memory part of a warm check: parse and checksum, HMAC digest, cache lookup at the current epoch.</summary>
    [Benchmark]
    public TokenCache.Entry? CachedInMemory()
    {
        if (!TokenFormat.TryParse(_token, out _))
            return null;
        return _cache.Find(_digest.Compute(_token), _epoch);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _app.DisposeAsync();

    /// <summary>TokenVerifier.VerifyAsync in a fresh request scope (a new DbContext), as every request does.</summary>
    [Benchmark]
    public async Task<TokenCheck> VerifyAsync()
    {
        using var scope = _app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<TokenVerifier>().VerifyAsync(_token, _use, CancellationToken.None);
    }

    /// <summary>What git and the API call: Authorization header to Caller (throttle check, parse, verify).</summary>
    [Benchmark]
    public async Task<CredentialResult> ReadCredentialAsync()
    {
        using var scope = _app.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers.Authorization = "Bearer " + _token;
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        return await scope.ServiceProvider.GetRequiredService<CredentialReader>().ReadAsync(context);
    }

    private async Task FillAsync(string tokenFile)
    {
        using var scope = _app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
        var owner = new User { UserName = "bench", Email = "bench@bench.invalid", CreatedAt = DateTime.UtcNow };
        var created = await users.CreateAsync(owner, "bench-password-long-enough");
        if (!created.Succeeded)
            throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Description)));

        var digest = _app.Services.GetRequiredService<TokenDigest>();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO PersonalAccessTokens (UserId, Kind, Note, Digest, LastEight, Scopes, CreatedAt)
            VALUES ($user, 0, $note, $digest, $last, 'repo, user', $created)
            """;
        Parameter(insert, "$user", owner.Id);
        var note = Parameter(insert, "$note", "");
        var digestValue = Parameter(insert, "$digest", Array.Empty<byte>());
        var last = Parameter(insert, "$last", "");
        Parameter(insert, "$created", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
        string? chosen = null;
        for (var i = 0; i < TokensInDatabase; i++)
        {
            var plaintext = TokenFormat.Generate(TokenKind.Classic);
            // The token the benchmark presents sits in the middle of the table, not at either end.
            if (i == TokensInDatabase / 2)
                chosen = plaintext;
            note.Value = "bench " + i.ToString(CultureInfo.InvariantCulture);
            digestValue.Value = digest.Compute(plaintext);
            last.Value = plaintext[^8..];
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        await File.WriteAllTextAsync(tokenFile, chosen);
    }

    private static System.Data.Common.DbParameter Parameter(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
