namespace Latchkey.Hosting;

/// <summary>The data directory: the SQLite file, bare repositories, server keys and push protection's work folders live under it.</summary>
public sealed record DataDirectory(string Path)
{
    public string Database => System.IO.Path.Combine(Path, "latchkey.db");
    public string Repositories => System.IO.Path.Combine(Path, "repositories");

    /// <summary>Push protection's work folders, one per push (owner-only; they hold candidate tokens while a push is checked).</summary>
    public string PushProtection => System.IO.Path.Combine(Path, "push-protection");

    /// <summary>Packs shared by identical fetches, one folder per host (<see cref="Git.PackCache"/>).</summary>
    public string PackCache => System.IO.Path.Combine(Path, "pack-cache");

    /// <summary>Git LFS objects, content-addressed and shared by every repository that holds them (<see cref="Lfs.LfsObjectStore"/>).</summary>
    public string Lfs => System.IO.Path.Combine(Path, "lfs");
}

/// <summary>The site itself (section "Latchkey").</summary>
public sealed class LatchkeyOptions
{
    /// <summary>The URL people use (links in mail; HTTPS turns on secure cookies and redirects).</summary>
    public string? PublicUrl { get; set; }

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<LatchkeyOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, LatchkeyOptions options) => OptionRules.Check(
            string.IsNullOrEmpty(options.PublicUrl)
            || (Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
                ? null
                : $"Latchkey:PublicUrl must be an absolute http:// or https:// URL, not '{options.PublicUrl}'.");
    }
}

public static class HostingSetup
{
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromMinutes(2);

    public static WebApplicationBuilder AddHosting(this WebApplicationBuilder builder)
    {
        var configured = builder.Configuration["data-dir"] ?? builder.Configuration["Latchkey:DataDir"] ?? "data";
        var path = Path.GetFullPath(configured);
        var data = new DataDirectory(path);
        // The data directory holds the database, repositories and server keys: its owner only.
        CreatePrivateDirectory(path);
        CreatePrivateDirectory(data.Repositories);
        builder.Services.AddSingleton(data);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddValidatedOptions<LatchkeyOptions, LatchkeyOptions.Validator>("Latchkey");
        // At SIGTERM the node stops taking connections and lets running requests (a long push) finish,
        // for at most this long; then what is left is cut and the process exits.
        var shutdown = builder.Configuration["Latchkey:ShutdownTimeout"];
        if (shutdown is not null)
        {
            if (!TimeSpan.TryParse(shutdown, System.Globalization.CultureInfo.InvariantCulture, out var timeout) || timeout < TimeSpan.Zero || timeout > TimeSpan.FromHours(1))
                throw new InvalidOperationException($"Latchkey:ShutdownTimeout must be a duration between 00:00:00 and 01:00:00, not '{shutdown}'.");
            builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = timeout);
        }
        else
        {
            builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = DefaultShutdownTimeout);
        }
        return builder;
    }

    /// <summary>Creates <paramref name="path"/> (and makes an existing one) readable by its owner only.</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
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
        // The API answers in JSON, always; pages get the error page.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api =>
            api.UseExceptionHandler(new ExceptionHandlerOptions
            {
                ExceptionHandler = context => Api.ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "Server Error", context.RequestAborted),
            }));
        app.UseWhen(context => !context.Request.Path.StartsWithSegments("/api"), pages =>
        {
            pages.UseExceptionHandler("/error");
            pages.UseStatusCodePagesWithReExecute("/error");
        });
        return app;
    }
}
