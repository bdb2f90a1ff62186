using System.Globalization;

namespace Latchkey.Tokens;

/// <summary>
/// The site's limit on classic token lifetimes (Tokens:MaxLifetimeDays, 1–366; off by default).
/// When on, it narrows the choices at creation and regeneration, and a token that would outlive it
/// (made before the limit was set) stops working when the limit runs out.
/// </summary>
public sealed class TokenLifetimePolicy
{
    public TokenLifetimePolicy(IConfiguration configuration)
    {
        var configured = configuration["Tokens:MaxLifetimeDays"];
        if (string.IsNullOrWhiteSpace(configured))
            return;
        if (!int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days is < 1 or > 366)
            throw new InvalidOperationException($"Tokens:MaxLifetimeDays must be a whole number of days from 1 to 366 (it is \"{configured}\").");
        MaxLifetimeDays = days;
    }

    public int? MaxLifetimeDays { get; }

    /// <summary>The Expiration choices this site allows.</summary>
    public IReadOnlyList<(string Value, string Label)> Choices =>
        TokenRules.ExpirationChoices.Where(c => Allows(c.Value)).ToList();

    public string DefaultChoice => Allows(TokenRules.DefaultExpiration) ? TokenRules.DefaultExpiration : "7";

    /// <summary>Fine-grained tokens always expire: the same choices without "No expiration".</summary>
    public IReadOnlyList<(string Value, string Label)> FineGrainedChoices => Choices.Where(c => c.Value != "none").ToList();

    /// <summary>As <see cref="TryResolve"/>, and an expiry is required (fine-grained tokens).</summary>
    public bool TryResolveRequired(string? choice, DateOnly? customDate, DateTime nowUtc, out DateTime expiresAt, out string? error)
    {
        expiresAt = default;
        if (choice == "none")
        {
            error = "Fine-grained tokens must have an expiration.";
            return false;
        }
        if (!TryResolve(choice, customDate, nowUtc, out var resolved, out error))
            return false;
        expiresAt = resolved!.Value;
        return true;
    }

    public DateOnly LatestCustomDate(DateTime nowUtc) =>
        MaxLifetimeDays is { } days ? DateOnly.FromDateTime(nowUtc.AddDays(days)).AddDays(-1) : TokenRules.LatestCustomDate(nowUtc);

    public bool TryResolve(string? choice, DateOnly? customDate, DateTime nowUtc, out DateTime? expiresAt, out string? error)
    {
        if (!TokenRules.TryResolveExpiration(choice, customDate, nowUtc, out expiresAt, out error))
            return false;
        if (MaxLifetimeDays is { } days && (expiresAt is null || expiresAt > nowUtc.AddDays(days)))
        {
            error = $"Tokens on this server must expire within {days} days.";
            expiresAt = null;
            return false;
        }
        return true;
    }

    /// <summary>When the token stops working: its own expiry, or the site limit from when its secret was made.</summary>
    public DateTime? EffectiveExpiry(ITokenRecord token)
    {
        if (MaxLifetimeDays is not { } days)
            return token.ExpiresAt;
        var limit = token.CreatedAt.AddDays(days);
        return token.ExpiresAt is { } own && own < limit ? own : limit;
    }

    private bool Allows(string choice) => MaxLifetimeDays is not { } days || choice switch
    {
        "none" => false,
        "custom" => true,
        _ => int.Parse(choice, CultureInfo.InvariantCulture) <= days,
    };
}
