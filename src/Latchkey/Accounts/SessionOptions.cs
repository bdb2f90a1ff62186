namespace Latchkey.Accounts;

/// <summary>Session lifetimes (configuration section "Sessions").</summary>
public sealed class SessionOptions
{
    /// <summary>A session unused for this long ends.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A session ends this long after sign-in, however active.</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Sensitive actions ask for the password again when it was last confirmed longer ago than this.</summary>
    public TimeSpan SudoDuration { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How stale "last seen" may get before a request writes it again.</summary>
    public TimeSpan LastSeenResolution { get; set; } = TimeSpan.FromMinutes(1);

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<SessionOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, SessionOptions options) => Hosting.OptionRules.Check(
            Hosting.OptionRules.Positive("Sessions:IdleTimeout", options.IdleTimeout),
            Hosting.OptionRules.Positive("Sessions:AbsoluteLifetime", options.AbsoluteLifetime),
            Hosting.OptionRules.Positive("Sessions:SudoDuration", options.SudoDuration),
            Hosting.OptionRules.Positive("Sessions:LastSeenResolution", options.LastSeenResolution),
            options.AbsoluteLifetime >= options.IdleTimeout ? null : "Sessions:AbsoluteLifetime must not be shorter than Sessions:IdleTimeout.");
    }
}
