using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Authorization;

/// <summary>
/// The web door's translator: a refused <see cref="Decision"/> becomes a page answer. The web
/// answers anonymous and unauthorised callers alike, 404, so a private repository or the site
/// administration is not there for them; a caller who may see the thing but not do this gets 403.
/// </summary>
public static class WebRefusal
{
    /// <summary>Null when allowed; otherwise the page's answer.</summary>
    public static IActionResult? For(PageModel page, Decision decision) => decision.Kind switch
    {
        DecisionKind.Allow => null,
        DecisionKind.Forbidden => page.Forbid(),
        _ => page.NotFound(),
    };

    /// <summary>The same for endpoints outside Razor Pages (raw files).</summary>
    public static IResult? For(Decision decision) => decision.Kind switch
    {
        DecisionKind.Allow => null,
        DecisionKind.Forbidden => Results.StatusCode(StatusCodes.Status403Forbidden),
        _ => Results.NotFound(),
    };
}
