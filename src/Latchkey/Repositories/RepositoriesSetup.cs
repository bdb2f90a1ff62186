using Latchkey.Hosting;
using Latchkey.Repositories.History;

namespace Latchkey.Repositories;

public static class RepositoriesSetup
{
    public static WebApplicationBuilder AddRepositories(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services =>
            new RepositoryStore(services.GetRequiredService<DataDirectory>().Repositories, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddScoped<RepositoryService>();
        builder.Services.AddSingleton<RepositoryBrowser>();
        builder.Services.AddSingleton<RepositoryRefs>();
        builder.Services.AddSingleton<FolderHistory>();
        builder.Services.AddSingleton<RepositoryBlame>();
        builder.Services.AddSingleton<RepositoryWriter>();
        builder.Services.AddSingleton<GitObjects>();
        builder.Services.AddSingleton<CommitLog>();
        builder.Services.AddSingleton<Diffs>();
        builder.Services.AddScoped<RepositoryCollaborators>();
        return builder;
    }
}
