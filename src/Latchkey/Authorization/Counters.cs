using System.Collections.Concurrent;
using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Authorization;

/// <summary>
/// The counts behind brute-force throttling and API rate limits. The embedded default keeps them in
/// the process (<see cref="MemoryCounters"/>); with PostgreSQL every node shares them through the
/// database (<see cref="DatabaseCounters"/>), so a limit holds however requests are spread over nodes.
/// </summary>
public interface ICounters
{
    /// <summary>
    /// Adds <paramref name="amount"/> (0 reads, −1 gives one back; the count never drops below 0) to a
    /// fixed window of length <paramref name="window"/>, starting a new window when the current one ended.
    /// </summary>
    ValueTask<(DateTimeOffset Start, int Used)> AddAsync(string key, int amount, TimeSpan window, CancellationToken cancel = default);
}

/// <summary>A fixed-window count shared by the nodes (table RateCounters).</summary>
public sealed class RateCounter
{
    public string Key { get; set; } = "";
    public DateTime WindowStart { get; set; }
    public int Used { get; set; }
}

/// <summary>Counts in this process: right for one process, which is what the embedded default is.</summary>
public sealed class MemoryCounters(TimeProvider clock) : ICounters
{
    private const int SweepAbove = 100_000;
    private readonly ConcurrentDictionary<string, (DateTimeOffset Start, int Used)> _windows = new(StringComparer.Ordinal);

    public ValueTask<(DateTimeOffset Start, int Used)> AddAsync(string key, int amount, TimeSpan window, CancellationToken cancel = default)
    {
        var now = clock.GetUtcNow();
        if (_windows.Count > SweepAbove)
        {
            foreach (var (stale, old) in _windows)
            {
                if (now - old.Start >= window)
                    _windows.TryRemove(stale, out _);
            }
        }
        var fresh = Math.Max(0, amount);
        var result = _windows.AddOrUpdate(key,
            _ => (now, fresh),
            (_, old) => now - old.Start >= window ? (now, fresh) : (old.Start, Math.Max(0, old.Used + amount)));
        return ValueTask.FromResult(result);
    }
}

/// <summary>
/// Counts in PostgreSQL, shared by every node. Each call is one statement; a window is updated in
/// place with INSERT … ON CONFLICT, so concurrent requests on different nodes never lose a count.
/// </summary>
public sealed class DatabaseCounters(LatchkeyDb db, TimeProvider clock) : ICounters
{
    public async ValueTask<(DateTimeOffset Start, int Used)> AddAsync(string key, int amount, TimeSpan window, CancellationToken cancel = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var ended = now - window;
        if (amount == 0)
        {
            var current = await db.RateCounters.AsNoTracking().Where(c => c.Key == key).Select(c => new { c.WindowStart, c.Used }).FirstOrDefaultAsync(cancel);
            return current is null || current.WindowStart <= ended ? (now, 0) : (Utc(current.WindowStart), current.Used);
        }
        var fresh = Math.Max(0, amount);
        // Now and then, forget windows that ended long ago (one row per address that ever called).
        if (Random.Shared.Next(1000) == 0)
            await db.RateCounters.Where(c => c.WindowStart <= ended - window).ExecuteDeleteAsync(cancel);
        var rows = await db.Database.SqlQuery<CounterRow>($"""
            INSERT INTO "RateCounters" AS c ("Key", "WindowStart", "Used") VALUES ({key}, {now}, {fresh})
            ON CONFLICT ("Key") DO UPDATE SET
              "WindowStart" = CASE WHEN c."WindowStart" <= {ended} THEN {now} ELSE c."WindowStart" END,
              "Used" = CASE WHEN c."WindowStart" <= {ended} THEN {fresh} ELSE GREATEST(c."Used" + {amount}, 0) END
            RETURNING c."WindowStart" AS "Start", c."Used" AS "Used"
            """).ToListAsync(cancel);
        return (Utc(rows[0].Start), rows[0].Used);
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private sealed record CounterRow(DateTime Start, int Used);
}
