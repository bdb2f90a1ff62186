using Latchkey.Tokens;

namespace Latchkey.Hosting;

/// <summary>
/// Every log line, whoever writes it (the request log, git's messages, the framework's own Debug lines
/// that quote the request path), passes through <see cref="TokenFormat.Redact(string)"/>: a token pasted
/// into a URL, a file name or a ref name never reaches a log in plaintext, at any level or in any
/// format (the JSON formatter's structured state included). Every logger provider is wrapped, so a
/// provider added later (an operator's, a test's) is covered too.
/// </summary>
public static class LogRedaction
{
    /// <summary>Wraps each registered <see cref="ILoggerProvider"/>; call after the last provider is added.</summary>
    public static IServiceCollection RedactTokensInLogs(this IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService)
                continue;
            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(provider => new RedactingProvider(descriptor switch
            {
                { ImplementationInstance: ILoggerProvider instance } => instance,
                { ImplementationFactory: { } factory } => (ILoggerProvider)factory(provider),
                _ => (ILoggerProvider)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!),
            }));
        }
        return services;
    }

    private sealed class RedactingProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

        public void SetScopeProvider(IExternalScopeProvider scopeProvider)
        {
            if (inner is ISupportExternalScope external)
                external.SetScopeProvider(scopeProvider);
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
                return;
            var message = formatter(state, exception);
            var redacted = TokenFormat.Redact(message);
            if (ReferenceEquals(redacted, message) && !StateHoldsToken(state))
            {
                // Formatted once: the inner provider gets the text already made.
                inner.Log(logLevel, eventId, state, exception, (_, _) => message);
                return;
            }
            inner.Log(logLevel, eventId, new RedactedState(redacted, state as IReadOnlyList<KeyValuePair<string, object?>>), exception, static (s, _) => s.Message);
        }

        private static bool StateHoldsToken<TState>(TState state) =>
            state is IReadOnlyList<KeyValuePair<string, object?>> values && values.Any(v => !ReferenceEquals(Masked(v.Value), v.Value));
    }

    /// <summary>The value, or its text masked when that text holds a token (a string, a PathString, a Uri).</summary>
    private static object? Masked(object? value)
    {
        // Numbers, dates, booleans and enums hold no token; a PathString (a struct) or a Uri may.
        if (value is null || (value is IConvertible && value is not string))
            return value;
        var text = value as string ?? value.ToString() ?? "";
        var redacted = TokenFormat.Redact(text);
        return ReferenceEquals(redacted, text) ? value : redacted;
    }

    /// <summary>The message and structured values of a log entry, token-shaped text masked.</summary>
    private sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>>? values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _values = (values ?? [])
            .Select(v => new KeyValuePair<string, object?>(v.Key, Masked(v.Value)))
            .ToArray();

        public string Message { get; } = message;

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public int Count => _values.Length;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
