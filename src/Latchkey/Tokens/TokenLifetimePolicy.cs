using System.Globalization;

namespace Latchkey.Tokens;

/// <summary>
/// The site's token policy per kind (issue #18): whether classic tokens may be used at all, and
/// the longest lifetime each kind may have. Kept in the database (table TokenPolicies, one row), so
/// every node applies the same policy at its next request (<see cref="TokenPolicies"/>).
/// </summary>
/// <param name="ClassicMaxLifetimeDays">1–366, or null for no limit.</param>
/// <param name="ClassicExpiryRequired">"No expiration" is not offered for classic tokens (implied by a maximum).</param>
/// <param name="FineGrainedMaxLifetimeDays">1–366, or null for the built-in limit (a custom date up to a year ahead).</param>
public sealed record TokenPolicy(bool ClassicAllowed, int? ClassicMaxLifetimeDays, bool ClassicExpiryRequired, int? FineGrainedMaxLifetimeDays)
{
    public const int MaxDays = 366;

    public int? MaxLifetimeDays(TokenKind kind) => kind == TokenKind.Classic ? ClassicMaxLifetimeDays : FineGrainedMaxLifetimeDays;

    /// <summary>The one message every door gives a classic token while classic tokens are disabled.</summary>
    public const string ClassicDisabledMessage =
        "Classic personal access tokens are disabled on this server by the site's token policy. Use a fine-grained personal access token instead.";
}

/// <summary>One kind's lifetime rules as the forms and the checks use them.</summary>
public sealed class KindLifetime(TokenKind kind, int? maxLifetimeDays, bool expiryRequired)
{
    public TokenKind Kind { get; } = kind;

    public int? MaxLifetimeDays { get; } = maxLifetimeDays;

    /// <summary>Fine-grained tokens always expire; classic ones when the policy says so or sets a maximum.</summary>
    public bool ExpiryRequired { get; } = kind == TokenKind.FineGrained || expiryRequired || maxLifetimeDays is not null;

    /// <summary>The Expiration choices this kind allows here.</summary>
    public IReadOnlyList<(string Value, string Label)> Choices =>
        TokenRules.ExpirationChoices.Where(c => Allows(c.Value)).ToList();

    public string DefaultChoice => Allows(TokenRules.DefaultExpiration) ? TokenRules.DefaultExpiration : "7";

    public DateOnly LatestCustomDate(DateTime nowUtc) =>
        MaxLifetimeDays is { } days ? DateOnly.FromDateTime(nowUtc.AddDays(days)).AddDays(-1) : TokenRules.LatestCustomDate(nowUtc);

    /// <summary>The form's choice as an expiry instant within this kind's rules (never null when <see cref="ExpiryRequired"/>), or an error message.</summary>
    public bool TryResolve(string? choice, DateOnly? customDate, DateTime nowUtc, out DateTime? expiresAt, out string? error)
    {
        if (!TokenRules.TryResolveExpiration(choice, customDate, nowUtc, out expiresAt, out error))
            return false;
        return Check(expiresAt, nowUtc, out error) || Fail(out expiresAt);
    }

    /// <summary>Whether a token expiring at <paramref name="expiresAt"/> (null: never), made now, is within this kind's rules.</summary>
    public bool Check(DateTime? expiresAt, DateTime nowUtc, out string? error)
    {
        error = null;
        if (expiresAt is null && Kind == TokenKind.FineGrained)
            error = "Fine-grained tokens must have an expiration.";
        else if (MaxLifetimeDays is { } days && (expiresAt is null || expiresAt > nowUtc.AddDays(days)))
            error = $"Tokens on this server must expire within {days} days.";
        else if (expiresAt is null && ExpiryRequired)
            error = "Tokens on this server must have an expiration.";
        return error is null;
    }

    private static bool Fail(out DateTime? expiresAt)
    {
        expiresAt = null;
        return false;
    }

    private bool Allows(string choice) => choice switch
    {
        "none" => !ExpiryRequired,
        "custom" => true,
        _ => MaxLifetimeDays is not { } days || int.Parse(choice, CultureInfo.InvariantCulture) <= days,
    };
}

/// <summary>
/// The token policy in force on this node: the database's, as last read at a credential epoch
/// (<see cref="TokenPolicies.RefreshAsync(long, CancellationToken)"/>), or until the site sets one,
/// the initial policy from configuration (Tokens:MaxLifetimeDays, 1–366, for both kinds). A token
/// that would outlive its kind's limit (made before the limit was set) stops working when the
/// limit runs out.
/// </summary>
public sealed class TokenLifetimePolicy
{
    private sealed record State(long Epoch, TokenPolicy Policy);

    private State _state;

    public TokenLifetimePolicy(IConfiguration configuration)
    {
        int? days = null;
        var configured = configuration["Tokens:MaxLifetimeDays"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > TokenPolicy.MaxDays)
                throw new InvalidOperationException($"Tokens:MaxLifetimeDays must be a whole number of days from 1 to 366 (it is \"{configured}\").");
            days = parsed;
        }
        Initial = new TokenPolicy(ClassicAllowed: true, days, ClassicExpiryRequired: false, days);
        _state = new State(long.MinValue, Initial);
    }

    /// <summary>The policy before the site sets one (from configuration).</summary>
    public TokenPolicy Initial { get; }

    public TokenPolicy Current => Volatile.Read(ref _state).Policy;

    public KindLifetime Classic => For(TokenKind.Classic);

    public KindLifetime FineGrained => For(TokenKind.FineGrained);

    public KindLifetime For(TokenKind kind)
    {
        var policy = Current;
        return new KindLifetime(kind, policy.MaxLifetimeDays(kind), kind == TokenKind.Classic && policy.ClassicExpiryRequired);
    }

    /// <summary>Whether any kind has a lifetime limit (a token without expiry may then still stop).</summary>
    public bool HasLifetimeLimit => Current is { ClassicMaxLifetimeDays: not null } or { FineGrainedMaxLifetimeDays: not null };

    /// <summary>When the token stops working: its own expiry, or its kind's limit from when its secret was made.</summary>
    public DateTime? EffectiveExpiry(ITokenRecord token)
    {
        if (Current.MaxLifetimeDays(token.Kind) is not { } days)
            return token.ExpiresAt;
        var limit = token.CreatedAt.AddDays(days);
        return token.ExpiresAt is { } own && own < limit ? own : limit;
    }

    internal bool IsCurrentAt(long epoch) => Volatile.Read(ref _state).Epoch >= epoch;

    /// <summary>Takes a policy read at <paramref name="epoch"/> (read before the policy, so a later change shows as a newer epoch); an older read never replaces a newer one.</summary>
    internal void Apply(long epoch, TokenPolicy policy)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state.Epoch > epoch)
                return;
            if (Interlocked.CompareExchange(ref _state, new State(epoch, policy), state) == state)
                return;
        }
    }
}
