using System.Globalization;

namespace Latchkey.Api;

/// <summary>per_page (1–100, default 30) and page (from 1), and GitHub's Link header for the rest.</summary>
public sealed record Paging(int Page, int PerPage)
{
    public const int MaxPerPage = 100;

    public int Skip => (Page - 1) * PerPage;

    /// <summary>The paging of a request, or a 422 naming the bad parameter.</summary>
    public static (Paging? Paging, ApiErrorResult? Error) From(HttpRequest request)
    {
        var page = 1;
        var perPage = 30;
        if (request.Query["per_page"].ToString() is { Length: > 0 } p
            && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out perPage) || perPage is < 1 or > MaxPerPage))
            return (null, ApiErrors.Validation(new ApiErrors.FieldError("Paging", "per_page", "invalid", $"per_page must be a whole number from 1 to {MaxPerPage}.")));
        if (request.Query["page"].ToString() is { Length: > 0 } n
            && (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page is < 1 or > 100_000))
            return (null, ApiErrors.Validation(new ApiErrors.FieldError("Paging", "page", "invalid", "page must be a whole number from 1.")));
        return (new Paging(page, perPage), null);
    }

    /// <summary>Writes the Link header for a list of <paramref name="total"/> items.</summary>
    public void WriteLinks(HttpContext context, int total)
    {
        var last = Math.Max(1, (int)Math.Ceiling(total / (double)PerPage));
        var links = new List<string>();
        if (Page < last)
        {
            links.Add(Link(context, Page + 1, "next"));
            links.Add(Link(context, last, "last"));
        }
        if (Page > 1)
        {
            links.Add(Link(context, 1, "first"));
            links.Add(Link(context, Math.Min(Page - 1, last), "prev"));
        }
        if (links.Count > 0)
            context.Response.Headers.Link = string.Join(", ", links);
    }

    private string Link(HttpContext context, int page, string rel)
    {
        var query = context.Request.Query
            .Where(q => q.Key is not ("page" or "per_page"))
            .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
            .Append(FormattableString.Invariant($"per_page={PerPage}"))
            .Append(FormattableString.Invariant($"page={page}"));
        var request = context.Request;
        return $"<{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{string.Join('&', query)}>; rel=\"{rel}\"";
    }
}
