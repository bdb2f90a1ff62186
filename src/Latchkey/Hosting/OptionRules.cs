using Microsoft.Extensions.Options;

namespace Latchkey.Hosting;

/// <summary>
/// Rules for options validators: each failure names the setting as it is written on the command
/// line or in appsettings.json, so that a server refusing to start says what to fix.
/// </summary>
public static class OptionRules
{
    public static string? AtLeast(string setting, long value, long minimum) =>
        value >= minimum ? null : $"{setting} must be at least {minimum}, not {value}.";

    public static string? Positive(string setting, TimeSpan value) =>
        value > TimeSpan.Zero ? null : $"{setting} must be a positive duration such as 00:05:00, not {value}.";

    public static ValidateOptionsResult Check(params string?[] failures)
    {
        var found = failures.Where(f => f is not null).Select(f => f!).ToList();
        return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
    }

    /// <summary>Binds a section to its options class, validated when the server starts (not at first use).</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T, TValidator>(this IServiceCollection services, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.AddSingleton<IValidateOptions<T>, TValidator>();
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>
    /// A start-up failure that is the operator's to fix (a bad setting): told in one line, without a
    /// stack trace. Null for anything else, which keeps its trace.
    /// </summary>
    public static string? ConfigurationProblem(Exception e) => e switch
    {
        OptionsValidationException invalid => string.Join(" ", invalid.Failures),
        InvalidOperationException { InnerException: FormatException or OverflowException or ArgumentException } binding => binding.Message,
        InvalidOperationException other when other.Message.Contains(':', StringComparison.Ordinal) => other.Message,
        AggregateException { InnerExceptions.Count: 1 } single => ConfigurationProblem(single.InnerExceptions[0]),
        _ => null,
    };
}
