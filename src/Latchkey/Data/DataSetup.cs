using Latchkey.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Data;

public static class DataSetup
{
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddDbContext<LatchkeyDb>((services, options) =>
        {
            var data = services.GetRequiredService<DataDirectory>();
            options.UseSqlite($"Data Source={data.Database};Pooling=True");
        });
        return builder;
    }

    public static void MigrateDatabase(this WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDb>();
        db.Database.Migrate();
        // WAL lets readers and the one writer work at once.
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
    }
}
