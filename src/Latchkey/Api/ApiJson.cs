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

    /// <summary>
    /// A body read as a JSON object, for endpoints that must tell a missing field from a null one (a PUT
    /// that changes only what it names). Every name and string in it is decoded here, so text that is
    /// not valid UTF-8 or UTF-16 is 400 "Problems parsing JSON", as with <see cref="ReadAsync{T}"/>.
    /// </summary>
    public static async Task<(System.Text.Json.Nodes.JsonObject? Body, ApiErrorResult? Error)> ReadObjectAsync(HttpContext context)
    {
        var (body, error) = await ReadAsync<System.Text.Json.Nodes.JsonObject>(context);
        if (body is null)
            return (null, error);
        try
        {
            Decode(body);
            return (body, null);
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException or FormatException)
        {
            return (null, ApiErrors.Result(StatusCodes.Status400BadRequest, ProblemsParsingJson));
        }
    }

    private static void Decode(System.Text.Json.Nodes.JsonNode? node)
    {
        switch (node)
        {
            case System.Text.Json.Nodes.JsonObject obj:
                foreach (var (_, value) in obj)
                    Decode(value);
                break;
            case System.Text.Json.Nodes.JsonArray array:
                foreach (var item in array)
                    Decode(item);
                break;
            case System.Text.Json.Nodes.JsonValue value when value.GetValueKind() == JsonValueKind.String:
                _ = value.GetValue<string>();
                break;
        }
    }
}
