using Latchkey.Authorization;
using Latchkey.Hosting;

namespace Latchkey.Tokens;

public static class TokensSetup
{
    public static WebApplicationBuilder AddTokens(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services =>
            TokenDigest.FromConfiguration(builder.Configuration, services.GetRequiredService<DataDirectory>().Path));
        // Built now, so that a bad limit stops the server at start rather than at first use.
        builder.Services.AddSingleton(new TokenLifetimePolicy(builder.Configuration));
        builder.Services.AddValidatedOptions<TokenOptions, TokenOptions.Validator>("Tokens");
        builder.Services.AddSingleton<TokenCache>();
        builder.Services.AddValidatedOptions<TokenUsageOptions, TokenUsageOptions.Validator>("Tokens");
        builder.Services.AddSingleton<TokenUsageRecorder>();
        builder.Services.AddScoped<TokenUsageReports>();
        builder.Services.AddHostedService<TokenUsageFlusher>();
        builder.Services.AddScoped<TokenPolicies>();
        builder.Services.AddScoped<TokenIssuer>();
        builder.Services.AddScoped<TokenInventory>();
        builder.Services.AddScoped<TokenVerifier>();
        builder.Services.AddScoped<LeakedTokens>();
        builder.Services.AddScoped<CanaryTokens>();
        builder.Services.AddScoped<NewNetworkAlerts>();
        builder.Services.AddScoped<CredentialReader>();
        builder.Services.AddScoped<WebCaller>();
        builder.Services.AddValidatedOptions<ThrottleOptions, ThrottleOptions.Validator>("Security");
        builder.Services.AddScoped<CredentialThrottle>();
        return builder;
    }
}
