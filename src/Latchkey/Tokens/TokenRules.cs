namespace Latchkey.Tokens;

/// <summary>Input rules for the token form: what a note and an expiration may be.</summary>
public static class TokenRules
{
    public const int MaxNoteLength = 100;

    /// <summary>Fine-grained token names: GitHub allows 40 characters.</summary>
    public const int MaxNameLength = 40;
    public const int MaxDescriptionLength = 1024;

    /// <summary>How long a revoked token stays in the site's inventory (<c>state=revoked</c>) before its row is deleted.</summary>
    public const int RevokedKeptDays = 90;

    /// <summary>The Expiration choices, as GitHub offers them, with their form values.</summary>
    public static IReadOnlyList<(string Value, string Label)> ExpirationChoices { get; } =
    [
        ("7", "7 days"),
        ("30", "30 days"),
        ("60", "60 days"),
        ("90", "90 days"),
        ("custom", "Custom..."),
        ("none", "No expiration"),
    ];

    public const string DefaultExpiration = "30";

    /// <summary>Custom dates may be at most one calendar year ahead.</summary>
    public static DateOnly LatestCustomDate(DateTime nowUtc) => DateOnly.FromDateTime(nowUtc).AddYears(1);

    /// <summary>
    /// Turns the form's choice into an expiry instant (UTC), or an error message.
    /// A custom date expires at the last second of that day, UTC.
    /// </summary>
    public static bool TryResolveExpiration(string? choice, DateOnly? customDate, DateTime nowUtc, out DateTime? expiresAt, out string? error)
    {
        expiresAt = null;
        error = null;
        switch (choice)
        {
            case "7" or "30" or "60" or "90":
                expiresAt = nowUtc.AddDays(int.Parse(choice, System.Globalization.CultureInfo.InvariantCulture));
                return true;
            case "none":
                return true;
            case "custom":
                if (customDate is not { } date)
                {
                    error = "Choose a date for a custom expiration.";
                    return false;
                }
                if (date <= DateOnly.FromDateTime(nowUtc))
                {
                    error = "The custom expiration date must be in the future.";
                    return false;
                }
                // The token works through the whole of the chosen day (UTC), as the list says.
                var end = date.ToDateTime(new TimeOnly(23, 59, 59), DateTimeKind.Utc);
                if (date > DateOnly.FromDateTime(nowUtc).AddYears(1))
                {
                    error = "The custom expiration date must be within one year.";
                    return false;
                }
                expiresAt = end;
                return true;
            default:
                error = "Choose an expiration.";
                return false;
        }
    }
}
