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
        // A token's git operations in its owner's security log, one per token, repository and operation an hour
        builder.Services.AddSingleton<GitEvents>();
        // Identical fetches at once share one pack (git's uploadpack.packObjectsHook)
        builder.Services.AddSingleton<PackCache>();
        // and identical clones one whole answer of upload-pack, sent from a file.
        builder.Services.AddSingleton<FetchResponseCache>();
        // What pushes leave when the server dies under them: swept at start (before any request) and every 15 minutes.
        builder.Services.AddHostedService<GitLeftoverSweep>();
        // Repositories repacked (geometric, bitmaps, commit-graph) after enough pushes and some idle time, one node at a time through a lease.
        builder.Services.AddSingleton<RepositoryMaintenance>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RepositoryMaintenance>());
        return builder;
    }
}
