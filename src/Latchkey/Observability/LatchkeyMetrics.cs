using System.Diagnostics.Metrics;

namespace Latchkey.Observability;

/// <summary>
/// What operators watch, on the meter <c>Latchkey</c> (OpenTelemetry names; the Prometheus scrape
/// writes them with dots as underscores and counters ending in <c>_total</c>). Requests and their
/// latency per door come from ASP.NET Core's own <c>http.server.request.duration</c>, tagged
/// <c>latchkey.door</c> by <see cref="ObservabilitySetup"/>. Recording costs next to nothing while
/// nothing listens (metrics off).
/// </summary>
public sealed class LatchkeyMetrics
{
    public const string MeterName = "Latchkey";

    private readonly Counter<long> _gitOperations;
    private readonly Counter<long> _gitBytes;
    private readonly Counter<long> _tokenVerifications;
    private readonly Counter<long> _throttleRefusals;
    private readonly Counter<long> _packCache;
    private readonly Counter<long> _pushProtectionRejections;

    public LatchkeyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _gitOperations = meter.CreateCounter<long>("latchkey.git.operations", "{operation}", "git upload-pack (fetch, clone) and receive-pack (push) runs, by service and outcome (git's exit status: a push its hook refused ends ok)");
        _gitBytes = meter.CreateCounter<long>("latchkey.git.bytes", "By", "Bytes git received from clients and sent to them, by service and direction");
        _tokenVerifications = meter.CreateCounter<long>("latchkey.token.verifications", "{verification}", "Personal access tokens presented, by result (valid, malformed, unknown, expired, owner_suspended)");
        _throttleRefusals = meter.CreateCounter<long>("latchkey.throttle.refusals", "{refusal}", "Failed credentials refused with 429 because their address or account failed too often, by kind");
        _packCache = meter.CreateCounter<long>("latchkey.pack_cache.requests", "{request}", "Fetches answered through the pack cache (whole upload-pack answers and packs), by outcome (hit, follow, miss)");
        _pushProtectionRejections = meter.CreateCounter<long>("latchkey.push_protection.rejections", "{push}", "Pushes refused because they held a live token");
    }

    /// <param name="service">upload-pack or receive-pack.</param>
    public void GitOperation(string service, bool succeeded, long received, long sent)
    {
        var name = new KeyValuePair<string, object?>("service", service);
        _gitOperations.Add(1, name, new("outcome", succeeded ? "ok" : "failed"));
        _gitBytes.Add(received, name, new("direction", "received"));
        _gitBytes.Add(sent, name, new("direction", "sent"));
    }

    public void TokenVerification(string result) => _tokenVerifications.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <param name="kind">token, password (to git or the API) or sign_in (the web form).</param>
    public void ThrottleRefusal(string kind) => _throttleRefusals.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void PackCache(string outcome) => _packCache.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void PushProtectionRejection() => _pushProtectionRejections.Add(1);
}
