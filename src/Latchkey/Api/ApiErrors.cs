using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latchkey.Api;

/// <summary>GitHub-shaped API errors: {"message", "documentation_url", "status"} and 422's "errors".</summary>
public static class ApiErrors
{
    public const string DocumentationUrl = "https://docs.github.com/rest";

    public sealed record ApiError(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("documentation_url")] string DocumentationUrl,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors = null);

    public sealed record FieldError(
        [property: JsonPropertyName("resource")] string Resource,
        [property: JsonPropertyName("field")] string Field,
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null);

    public static IResult Result(int status, string message, IReadOnlyList<FieldError>? errors = null) =>
        Results.Json(new ApiError(message, DocumentationUrl, status.ToString(CultureInfo.InvariantCulture), errors), statusCode: status);

    public static IResult NotFound() => Result(StatusCodes.Status404NotFound, "Not Found");

    public static IResult Validation(params FieldError[] errors) => Result(StatusCodes.Status422UnprocessableEntity, "Validation Failed", errors);

    public static async Task WriteAsync(HttpContext context, int status, string message, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body,
            new ApiError(message, DocumentationUrl, status.ToString(CultureInfo.InvariantCulture)), cancellationToken: ct);
    }
}
