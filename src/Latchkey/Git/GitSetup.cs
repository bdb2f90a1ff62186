using Latchkey.Authorization;
using Latchkey.Hosting;

namespace Latchkey.Git;

public static class GitSetup
{
    public static WebApplicationBuilder AddGitHttp(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<GitOptions, GitOptions.Validator>("Git");
        builder.Services.AddScoped<GitAccess>();
        builder.Services.AddScoped<PushProtection>();
        return builder;
    }
}
