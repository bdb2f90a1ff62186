using System.Diagnostics;
using Latchkey.Api;

namespace Latchkey.Observability;

/// <summary>
/// Latchkey's own spans, under each request's (sent only when <c>Tracing:OtlpEndpoint</c> is set):
/// the git process a clone, fetch or push runs, with what it moved.
/// </summary>
public static class LatchkeyTracing
{
    public const string SourceName = "Latchkey";

    public static readonly ActivitySource Source = new(SourceName, GitHubEnterprise.LatchkeyVersion);
}
