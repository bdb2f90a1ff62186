using Latchkey.Authorization;
using Latchkey.Hosting;

namespace Latchkey.Tokens;

public static class TokensSetup
{
    public static WebApplicationBuilder AddTokens(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services =>
            TokenDigest.FromConfiguration(builder.Configuration, services.GetRequiredService<DataDirectory>().Path));
        builder.Services.AddScoped<TokenService>();
        builder.Services.AddScoped<CredentialReader>();
        builder.Services.AddScoped<WebCaller>();
        builder.Services.Configure<ThrottleOptions>(builder.Configuration.GetSection("Security"));
        builder.Services.AddSingleton<CredentialThrottle>();
        return builder;
    }
}
