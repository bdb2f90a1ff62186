using System.Globalization;
using System.Text.RegularExpressions;
using Latchkey.Data;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.SecurityLog;

/// <summary>One entry of the site-wide log with the names of its account and actor.</summary>
public sealed record AuditEntry(SecurityEvent Event, string? User);

/// <summary>
/// The site-wide security log (issue #18): every account's entries, searched with GitHub's audit-log
/// phrase qualifiers — <c>hashed_token:"BASE64"</c>, <c>actor:NAME</c> (who acted: an administrator,
/// or the account itself), <c>user:NAME</c> (whose log), <c>action:NAME</c> (an action, or a category
/// such as <c>action:personal_access_token</c>), <c>created:2026-12-01</c>, <c>created:&gt;=DATE</c>,
/// <c>created:&lt;DATE</c>, <c>created:DATE..DATE</c>. Shared by Site admin → Security log and
/// <c>GET /api/v3/admin/audit-log</c>.
/// </summary>
public sealed partial class AuditLogSearch(LatchkeyDb db)
{
    public const int MaxPhraseLength = 500;

    /// <summary>The entries the phrase selects, newest first, or why the phrase cannot be read.</summary>
    public (IQueryable<AuditEntry>? Entries, string? Error) Search(string? phrase)
    {
        IQueryable<SecurityEvent> events = db.SecurityEvents.AsNoTracking();
        phrase = phrase?.Trim() ?? "";
        if (phrase.Length > MaxPhraseLength)
            return (null, $"The phrase may be at most {MaxPhraseLength} characters.");
        foreach (Match term in Term().Matches(phrase))
        {
            var key = term.Groups["key"].Value;
            var value = term.Groups["quoted"].Success ? term.Groups["quoted"].Value : term.Groups["bare"].Value;
            switch (key)
            {
                case "hashed_token":
                    if (!HashedToken().IsMatch(value))
                        return (null, "hashed_token takes the base64 SHA-256 of a token: 44 characters ending in =.");
                    events = events.Where(e => e.TokenHash == value);
                    break;
                case "action":
                    if (value.Length is 0 or > 100)
                        return (null, "action takes an action such as personal_access_token.create, or a category such as personal_access_token.");
                    var category = value + ".";
                    events = value.Contains('.', StringComparison.Ordinal)
                        ? events.Where(e => e.Action == value)
                        : events.Where(e => e.Action == value || e.Action.StartsWith(category));
                    break;
                case "actor":
                    var actor = Accounts.UsernameRules.Normalize(value);
                    events = events.Where(e => db.Users.Any(u => u.Id == (e.ActorId ?? e.UserId) && u.NormalizedUserName == actor));
                    break;
                case "user":
                    var user = Accounts.UsernameRules.Normalize(value);
                    events = events.Where(e => db.Users.Any(u => u.Id == e.UserId && u.NormalizedUserName == user));
                    break;
                case "created":
                    if (!TryCreated(value, out var from, out var until))
                        return (null, "created takes a date (2026-12-01), a comparison (>=2026-12-01, <2026-12-01T12:00:00Z) or a range (2026-12-01..2026-12-07).");
                    if (from is { } start)
                        events = events.Where(e => e.CreatedAt >= start);
                    if (until is { } end)
                        events = events.Where(e => e.CreatedAt < end);
                    break;
                default:
                    return (null, $"Unknown qualifier {key}: use hashed_token, actor, user, action or created.");
            }
        }
        if (Term().Replace(phrase, "").Trim().Length > 0)
            return (null, "The phrase is qualifier:value terms separated by spaces, such as action:personal_access_token.create actor:alice.");
        var entries = events.OrderByDescending(e => e.Id)
            .Select(e => new AuditEntry(e, db.Users.Where(u => u.Id == e.UserId).Select(u => u.UserName).FirstOrDefault()));
        return (entries, null);
    }

    /// <summary>[from, until) in UTC from a created: value.</summary>
    private static bool TryCreated(string value, out DateTime? from, out DateTime? until)
    {
        from = until = null;
        var range = value.Split("..");
        if (range.Length == 2)
        {
            if (!TryMoment(range[0], out var a, out _) || !TryMoment(range[1], out var b, out var bIsDay))
                return false;
            (from, until) = (a, bIsDay ? b.AddDays(1) : b);
            return true;
        }
        foreach (var op in new[] { ">=", "<=", ">", "<" })
        {
            if (!value.StartsWith(op, StringComparison.Ordinal))
                continue;
            if (!TryMoment(value[op.Length..], out var moment, out var isDay))
                return false;
            switch (op)
            {
                case ">=": from = moment; break;
                case ">": from = isDay ? moment.AddDays(1) : moment.AddTicks(1); break;
                case "<": until = moment; break;
                case "<=": until = isDay ? moment.AddDays(1) : moment.AddTicks(1); break;
            }
            return true;
        }
        if (!TryMoment(value, out var day, out var wholeDay))
            return false;
        (from, until) = (day, wholeDay ? day.AddDays(1) : day.AddTicks(1));
        return true;
    }

    private static bool TryMoment(string text, out DateTime moment, out bool isDay)
    {
        isDay = DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
        if (isDay)
        {
            moment = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            return true;
        }
        if (text.Length >= 10 && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            moment = at.UtcDateTime;
            return true;
        }
        moment = default;
        return false;
    }

    [GeneratedRegex("(?<key>[a-z_]+):(?:\"(?<quoted>[^\"]*)\"|(?<bare>[^\\s\"]+))", RegexOptions.CultureInvariant)]
    private static partial Regex Term();

    [GeneratedRegex("^[A-Za-z0-9+/]{43}=$", RegexOptions.CultureInvariant)]
    private static partial Regex HashedToken();
}
