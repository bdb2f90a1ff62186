using System.Diagnostics;

namespace Latchkey.Hosting;

/// <summary>
/// One log line per request, carrying its request id, which the response names in X-Request-Id so an
/// operator can find a user's failed request in the logs. The line has the path without the query
/// string (where a careless client may put a token) and with anything token-shaped in the path masked
/// (a token pasted as a file name or an owner segment), the status, the client address (after
/// forwarded headers), and the time taken. With `Logging:Console:FormatterName=json` each line is
/// one JSON object, and scopes (`…:IncludeScopes=true`) add the request id to every other line too.
/// With tracing on (<c>Tracing:OtlpEndpoint</c>) the request id is the request's trace id.
/// </summary>
public static partial class RequestLog
{
    public static WebApplication UseRequestLog(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Latchkey.Requests");
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            // With tracing on, the request id is the trace id: what a user quotes finds the trace.
            if (Activity.Current is { } activity)
                context.TraceIdentifier = activity.TraceId.ToHexString();
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            try
            {
                await next(context);
            }
            finally
            {
                Answered(logger, context.TraceIdentifier, context.Request.Method, Printable(Tokens.TokenFormat.Redact(context.Request.Path.Value ?? "/")),
                    context.Response.StatusCode, context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        return app;
    }

    /// <summary>The path as one line: decoded control characters (a %0A in the URL) would start a forged log line.</summary>
    private static string Printable(string path) =>
        path.Any(char.IsControl) ? string.Concat(path.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) : path;

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} {Method} {Path} answered {StatusCode} to {ClientAddress} in {ElapsedMilliseconds:0.0} ms")]
    private static partial void Answered(ILogger logger, string requestId, string method, string path, int statusCode, string clientAddress, double elapsedMilliseconds);
}
