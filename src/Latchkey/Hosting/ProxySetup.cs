using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Latchkey.Hosting;

/// <summary>
/// Behind a TLS-terminating proxy (configuration section "Proxy"): X-Forwarded-For, -Proto and -Host
/// are believed only from the proxies listed in Proxy:KnownProxies (addresses) or Proxy:KnownNetworks
/// (CIDR), so logs, the security log and the brute-force throttle see the real client, and clone URLs,
/// cookies and HSTS follow the scheme the client used. From anyone else the headers are ignored: a
/// client cannot choose its own address. Nothing is believed when neither is set (the default).
/// </summary>
public static class ProxySetup
{
    public static WebApplicationBuilder AddProxySupport(this WebApplicationBuilder builder)
    {
        var proxies = List(builder.Configuration, "Proxy:KnownProxies");
        var networks = List(builder.Configuration, "Proxy:KnownNetworks");
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The framework trusts loopback by default; here only what the operator names is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"Proxy:KnownProxies: '{proxy}' is not an IP address."));
            }
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                    ? parsed
                    : throw new InvalidOperationException($"Proxy:KnownNetworks: '{network}' is not a network in CIDR form (like 10.0.0.0/8)."));
            }
        });
        // Validate at start, not at the first request.
        builder.Services.AddOptions<ForwardedHeadersOptions>().ValidateOnStart();
        return builder;
    }

    public static WebApplication UseProxySupport(this WebApplication app)
    {
        // With both lists empty the framework's middleware believes every sender: so without a
        // configured proxy it is not used at all.
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value;
        if (options.KnownProxies.Count > 0 || options.KnownIPNetworks.Count > 0)
            app.UseForwardedHeaders();
        return app;
    }

    /// <summary>A list from configuration: either an array (Proxy:KnownProxies:0, …) or one comma-separated value.</summary>
    private static List<string> List(ConfigurationManager configuration, string key)
    {
        var section = configuration.GetSection(key);
        var values = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (section.Value is { } single)
            values.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return values.Where(v => v.Length > 0).ToList();
    }
}
