using System.Collections.Concurrent;
using Microsoft.AspNetCore.Html;

namespace Latchkey.Pages;

/// <summary>Inlines Primer octicons (copied into wwwroot/lib/octicons by frontend/build.sh) so they take the text colour.</summary>
public sealed class Octicons(IWebHostEnvironment environment)
{
    private readonly ConcurrentDictionary<string, HtmlString> _cache = new(StringComparer.Ordinal);

    public HtmlString this[string name] => _cache.GetOrAdd(name, Load);

    private HtmlString Load(string name)
    {
        var file = environment.WebRootFileProvider.GetFileInfo($"lib/octicons/{name}-16.svg");
        if (!file.Exists)
            return HtmlString.Empty;
        using var reader = new StreamReader(file.CreateReadStream());
        var svg = reader.ReadToEnd().Trim();
        return new HtmlString(svg.Replace("<svg ", $"<svg class=\"octicon octicon-{name}\" aria-hidden=\"true\" ", StringComparison.Ordinal));
    }
}
