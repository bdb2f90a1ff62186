using Latchkey.Hosting;

namespace Latchkey.Lfs;

public static class LfsSetup
{
    public static WebApplicationBuilder AddLfs(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<LfsOptions, LfsOptions.Validator>("Lfs");
        builder.Services.AddSingleton<LfsObjectStore>();
        builder.Services.AddScoped<LfsObjects>();
        builder.Services.AddSingleton<LfsLinks>();
        builder.Services.AddScoped<LfsTransferAccess>();
        return builder;
    }
}
