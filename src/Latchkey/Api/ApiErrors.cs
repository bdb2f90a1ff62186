using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;

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

    public static ApiErrorResult Result(int status, string message, IReadOnlyList<FieldError>? errors = null) =>
        new(status, new ApiError(message, DocumentationUrl, status.ToString(CultureInfo.InvariantCulture), errors));

    public static ApiErrorResult NotFound() => Result(StatusCodes.Status404NotFound, "Not Found");

    public static ApiErrorResult Validation(params FieldError[] errors) => Result(StatusCodes.Status422UnprocessableEntity, "Validation Failed", errors);

    public static async Task WriteAsync(HttpContext context, int status, string message, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body,
            new ApiError(message, DocumentationUrl, status.ToString(CultureInfo.InvariantCulture)), cancellationToken: ct);
    }
}

/// <summary>
/// A GitHub-shaped error as a typed result, so that handlers name it among their outcomes
/// (<c>Results&lt;Ok&lt;RepositoryDto&gt;, ApiErrorResult&gt;</c>) and the OpenAPI document describes it.
/// </summary>
public sealed class ApiErrorResult(int statusCode, ApiErrors.ApiError error)
    : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ApiErrors.ApiError>, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public int StatusCode { get; } = statusCode;
    public ApiErrors.ApiError Value { get; } = error;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    object? IValueHttpResult.Value => Value;
    public string ContentType => JsonContentType;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        return httpContext.Response.WriteAsJsonAsync(Value, (JsonSerializerOptions?)null, JsonContentType, httpContext.RequestAborted);
    }

    /// <summary>The errors every API endpoint may answer, for the OpenAPI document.</summary>
    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder)
    {
        foreach (var status in new[] { 400, 401, 403, 404, 422 })
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ApiErrors.ApiError), ["application/json"]));
    }
}
