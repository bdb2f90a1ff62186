using System.Globalization;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc.Rendering;

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

    /// <summary><c>&lt;time&gt;</c> with the relative date, and the full one as its title.</summary>
    public static IHtmlContent Tag(DateTimeOffset when, DateTimeOffset now)
    {
        var tag = new TagBuilder("time");
        tag.Attributes["datetime"] = when.ToString("o", CultureInfo.InvariantCulture);
        tag.Attributes["title"] = when.UtcDateTime.ToString("MMM d, yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
        tag.InnerHtml.Append(Since(when, now));
        return tag;
    }
}
