using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Latchkey.Api;
using Latchkey.Authorization;

namespace Latchkey.GraphQL;

/// <summary>
/// POST /api/graphql: GitHub's GraphQL API, the subset gh 2.x sends (viewer, repositories, create and
/// delete), with GraphQL.NET. The same door as REST: the API gate authenticates the token, counts the
/// rate limit and writes GitHub's headers; every resolver asks AccessPolicy through <see cref="Authorizer"/>.
/// </summary>
public static class GraphQLEndpoint
{
    /// <summary>Deeper than any query gh sends (introspection included), shallow enough to stop abuse.</summary>
    public const int MaxDepth = 15;
    public const int MaxComplexity = 5_000;

    public static WebApplicationBuilder AddGraphQLApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddGraphQL(graphql => graphql
            .AddSchema<LatchkeySchema>()
            .AddGraphTypes(typeof(LatchkeySchema).Assembly)
            .AddSystemTextJson()
            .AddComplexityAnalyzer(limits =>
            {
                limits.MaxDepth = MaxDepth;
                limits.MaxComplexity = MaxComplexity;
            }));
        return builder;
    }

    public static WebApplication MapGraphQLApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").DisableAntiforgery().AddEndpointFilter<ApiGate>();
        api.MapPost("/graphql", ExecuteAsync).Requires(SignedInRequirement.Instance).ExcludeFromDescription();
        // Anything but POST is an API answer too, never a web page (the /{owner}/{repo} route).
        api.MapMethods("/graphql", ["GET", "PUT", "PATCH", "DELETE"], () =>
            ApiErrors.Result(StatusCodes.Status405MethodNotAllowed, "GraphQL queries are sent with POST /api/graphql."))
            .Anonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ExecuteAsync(HttpContext http, IDocumentExecuter<ISchema> executer, IGraphQLTextSerializer serializer)
    {
        GraphQLRequest? request;
        try
        {
            request = await serializer.ReadAsync<GraphQLRequest>(http.Request.Body, http.RequestAborted);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return ApiErrors.Result(StatusCodes.Status400BadRequest, ApiJson.ProblemsParsingJson);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, "The request body is too large.");
        }
        if (request is null || string.IsNullOrWhiteSpace(request.Query))
            return ApiErrors.Result(StatusCodes.Status400BadRequest, "A query attribute must be specified and must be a string.");

        var result = await executer.ExecuteAsync(options =>
        {
            options.Query = request.Query;
            options.OperationName = request.OperationName;
            options.Variables = request.Variables;
            options.RequestServices = http.RequestServices;
            options.User = http.User;
            options.CancellationToken = http.RequestAborted;
            options.ThrowOnUnhandledException = false;
        });
        return Results.Text(GitHubShaped(serializer.Serialize(result)), "application/json; charset=utf-8");
    }

    /// <summary>GitHub names an error's kind in "type" (gh reads NOT_FOUND there); GraphQL.NET puts it in extensions.code.</summary>
    private static string GitHubShaped(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (node["errors"] is JsonArray errors)
        {
            foreach (var error in errors.OfType<JsonObject>())
            {
                if (error["extensions"] is JsonObject { } extensions && extensions["code"] is JsonValue code)
                    error["type"] = code.GetValue<string>();
            }
        }
        return node.ToJsonString();
    }
}
