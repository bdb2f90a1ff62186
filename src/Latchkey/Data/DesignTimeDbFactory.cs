using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Latchkey.Data;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the server.</summary>
public sealed class DesignTimeDbFactory : IDesignTimeDbContextFactory<LatchkeyDb>
{
    public LatchkeyDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<LatchkeyDb>().UseSqlite("Data Source=design-time.db").Options);
}
