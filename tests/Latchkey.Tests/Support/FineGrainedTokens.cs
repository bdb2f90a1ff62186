using Latchkey.Accounts;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests.Support;

/// <summary>
/// Issues fine-grained tokens through the server's own TokenIssuer, for git and API tests whose subject
/// is what a token may do (the form that issues them has its own tests).
/// </summary>
public static class FineGrainedTokens
{
    public static async Task<string> IssueAsync(this LatchkeyServer server, string username, RepositoryAccess access,
        IEnumerable<string>? repositories = null, IReadOnlyDictionary<string, PermissionLevel>? permissions = null, string? name = null)
    {
        using var scope = server.Services.CreateScope();
        var services = scope.ServiceProvider;
        var user = await services.GetRequiredService<UserManager<User>>().FindByNameAsync(username)
            ?? throw new InvalidOperationException($"No user {username}");
        var ids = new List<long>();
        foreach (var fullName in repositories ?? [])
        {
            var parts = fullName.Split('/');
            var repo = await services.GetRequiredService<RepositoryService>().FindAsync(parts[0], parts[1], CancellationToken.None)
                ?? throw new InvalidOperationException($"No repository {fullName}");
            ids.Add(repo.Id);
        }
        var request = new FineGrainedRequest(name ?? $"token {Guid.NewGuid():N}"[..20], null, access, ids,
            PermissionSet.From(permissions ?? new Dictionary<string, PermissionLevel>()));
        var (_, plaintext, error) = await services.GetRequiredService<TokenIssuer>()
            .CreateFineGrainedAsync(user.Id, request, server.Clock.GetUtcNow().UtcDateTime.AddDays(30), CancellationToken.None);
        Assert.True(error is null, error);
        return plaintext!;
    }

    public static Dictionary<string, PermissionLevel> Permissions(params (string Key, PermissionLevel Level)[] levels) =>
        levels.ToDictionary(l => l.Key, l => l.Level);
}

/// <summary>Classic tokens through the server's own issuer, for tests whose subject is what a scope allows.</summary>
public static class ClassicTokens
{
    public static async Task<string> IssueClassicAsync(this LatchkeyServer server, string username, IEnumerable<string> scopes)
    {
        using var scope = server.Services.CreateScope();
        var services = scope.ServiceProvider;
        var user = await services.GetRequiredService<UserManager<User>>().FindByNameAsync(username)
            ?? throw new InvalidOperationException($"No user {username}");
        var (_, plaintext, error) = await services.GetRequiredService<TokenIssuer>()
            .CreateClassicAsync(user, "test", scopes, server.Clock.GetUtcNow().UtcDateTime.AddDays(30), CancellationToken.None);
        Assert.True(error is null, error);
        return plaintext!;
    }
}
