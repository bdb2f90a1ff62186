using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Hosting;
using Latchkey.Observability;

namespace Latchkey.Api;

public static class ApiSetup
{
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ApiRateOptions, ApiRateOptions.Validator>("Api");
        builder.Services.AddScoped<ApiRateLimits>();
        builder.Services.AddScoped<ApiGate>();
        // An OpenAPI document of what /api/v3 serves, generated from the endpoints themselves.
        builder.Services.AddOpenApi("v3", options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v3", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new() { Title = "Latchkey REST API (GitHub-compatible)", Version = "v3" };
                return Task.CompletedTask;
            });
        });
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never);
        return builder;
    }

    /// <summary>
    /// /api/v3: GitHub's paths, JSON and status codes, so GitHub clients work pointed at this server.
    /// Deny-by-default: every endpoint declares a requirement (<c>.Requires(...)</c>) or <c>.Anonymous()</c>.
    /// </summary>
    public static WebApplication MapApi(this WebApplication app)
    {
        app.MapOpenApi("/api/{documentName}/openapi.json").Anonymous();
        var root = app.MapGroup("/api/v3").DisableAntiforgery();
        root.MapCredentialRevocation();
        var api = root.MapGroup("").AddEndpointFilter<ApiGate>();
        api.MapRootApi();
        api.MapUserApi();
        api.MapRepositoryApi();
        api.MapContentsApi();
        api.MapCollaboratorApi();
        api.MapAdminApi();
        api.MapTokenIntrospectionApi();
        api.MapTokenInventoryApi();
        api.MapTokenUsageApi();
        api.MapTokenPolicyApi();
        api.MapAuditLogApi();
        api.MapBranchApi();
        api.MapGitDataApi();
        api.MapArchiveApi();
        api.MapCommitApi();
        api.MapMetricsApi();
        // Anything else under /api/v3 is a JSON 404, never a web page.
        root.MapFallback(() => ApiErrors.NotFound()).Anonymous();
        return app;
    }
}
