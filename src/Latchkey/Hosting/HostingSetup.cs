namespace Latchkey.Hosting;

/// <summary>The data directory: the SQLite file, bare repositories and server keys live under it.</summary>
public sealed record DataDirectory(string Path)
{
    public string Database => System.IO.Path.Combine(Path, "latchkey.db");
    public string Repositories => System.IO.Path.Combine(Path, "repositories");
    public string Keys => System.IO.Path.Combine(Path, "keys");
}

public static class HostingSetup
{
    public static WebApplicationBuilder AddHosting(this WebApplicationBuilder builder)
    {
        var configured = builder.Configuration["data-dir"] ?? builder.Configuration["Latchkey:DataDir"] ?? "data";
        var path = Path.GetFullPath(configured);
        Directory.CreateDirectory(path);
        var data = new DataDirectory(path);
        Directory.CreateDirectory(data.Repositories);
        builder.Services.AddSingleton(data);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>The data directory registered by <see cref="AddHosting"/>, for setup code that runs before the container exists.</summary>
    public static DataDirectory DataDirectory(this IServiceCollection services) =>
        (DataDirectory)services.Single(d => d.ServiceType == typeof(DataDirectory)).ImplementationInstance!;

    /// <summary>
    /// Unhandled failures become a plain 500 page without details; expected bad input is answered
    /// by each endpoint with a 4xx and a message before it gets here.
    /// </summary>
    public static WebApplication UseLatchkeyErrors(this WebApplication app)
    {
        app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error", "?code={0}");
        return app;
    }
}
