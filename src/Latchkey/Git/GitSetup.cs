namespace Latchkey.Git;

public static class GitSetup
{
    public static WebApplicationBuilder AddGitHttp(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<GitAccess>();
        builder.Services.AddScoped<PushProtection>();
        return builder;
    }
}
