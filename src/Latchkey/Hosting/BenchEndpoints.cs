namespace Latchkey.Hosting;

/// <summary>
/// Endpoints for bench/api.sh only, mapped when the setting Bench:HelloWorld is true (never by
/// default): GET /bench/hello answers "Hello World!" through the same middleware as every other
/// request, so the benchmark can compare GET /api/v3/user with the cheapest answer this same
/// server build can give, in the same run.
/// </summary>
public static class BenchEndpoints
{
    public static WebApplication MapBenchEndpoints(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>("Bench:HelloWorld"))
            app.MapGet("/bench/hello", () => "Hello World!");
        return app;
    }
}
