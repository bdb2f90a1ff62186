using Latchkey.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Latchkey.Notifications;

/// <summary>
/// The site's own address for links in mail: <c>Latchkey:PublicUrl</c>, else the first address the
/// server listens on. Never the request's Host header: a request made with a stolen token could
/// otherwise point the owner's mail at a site of the thief's choosing.
/// </summary>
public sealed class SiteUrl(Microsoft.Extensions.Options.IOptions<LatchkeyOptions> site, IServer server)
{
    public string Base()
    {
        if (site.Value.PublicUrl is { Length: > 0 } configured)
            return configured.TrimEnd('/');
        return server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.TrimEnd('/') ?? "http://localhost:5000";
    }
}
