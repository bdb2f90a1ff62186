using System.Text.Json;

namespace Latchkey.Api;

/// <summary>
/// The one reader of API request bodies: GitHub's 400 "Problems parsing JSON" for anything that is
/// not the expected JSON, 413 for a body over the server's limit; never an exception to the caller.
/// </summary>
public static class ApiJson
{
    public const string ProblemsParsingJson = "Problems parsing JSON";

    /// <param name="optional">An empty body is no body (null, no error): PUT …/collaborators/{user} may send none.</param>
    /// <param name="tooLarge">What to say when the body is over the limit.</param>
    public static async Task<(T? Body, ApiErrorResult? Error)> ReadAsync<T>(HttpContext context, bool optional = false, string tooLarge = "The request body is too large.") where T : class
    {
        if (optional && context.Request.ContentLength is null or 0 && context.Request.Headers.TransferEncoding.Count == 0)
            return (null, null);
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, cancellationToken: context.RequestAborted);
            return body is null ? (null, ApiErrors.Result(StatusCodes.Status400BadRequest, ProblemsParsingJson)) : (body, null);
        }
        catch (JsonException)
        {
            return (null, ApiErrors.Result(StatusCodes.Status400BadRequest, ProblemsParsingJson));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, tooLarge));
        }
    }
}
