using System.Globalization;

namespace Latchkey.Pages;

/// <summary>Dates as GitHub words them beside commits: "now", "5 minutes ago", "yesterday", "last month"…</summary>
public static class RelativeTime
{
    public static string Since(DateTimeOffset when, DateTimeOffset now)
    {
        var ago = now - when;
        static string Of(int n, string unit) => string.Create(CultureInfo.InvariantCulture, $"{n} {unit}{(n == 1 ? "" : "s")} ago");
        return ago.TotalMinutes switch
        {
            < 1 => "now",
            < 60 => Of((int)ago.TotalMinutes, "minute"),
            < 24 * 60 => Of((int)ago.TotalHours, "hour"),
            < 2 * 24 * 60 => "yesterday",
            < 30 * 24 * 60 => Of((int)ago.TotalDays, "day"),
            < 60 * 24 * 60 => "last month",
            < 365 * 24 * 60 => Of((int)(ago.TotalDays / 30), "month"),
            < 2 * 365 * 24 * 60 => "last year",
            _ => Of((int)(ago.TotalDays / 365), "year"),
        };
    }

    /// <summary>The full date, for a title beside the relative one.</summary>
    public static string Full(DateTimeOffset when) => when.UtcDateTime.ToString("MMM d, yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
