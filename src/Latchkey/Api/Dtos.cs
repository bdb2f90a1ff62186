using System.Text.Json.Serialization;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Repositories;

namespace Latchkey.Api;

/// <summary>Where the API's links point: this server, as the request reached it.</summary>
public sealed record ApiUrls(string Web)
{
    public string Api => Web + "/api/v3";

    public static ApiUrls Of(HttpRequest request) => new($"{request.Scheme}://{request.Host}{request.PathBase}");
}

public sealed record SimpleUserDto(
    [property: JsonPropertyName("login")] string Login,
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("avatar_url")] string AvatarUrl,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("html_url")] string HtmlUrl,
    [property: JsonPropertyName("repos_url")] string ReposUrl,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("site_admin")] bool SiteAdmin)
{
    public static SimpleUserDto From(User user, ApiUrls urls) => new(
        user.UserName!, user.Id, NodeIds.For("User", user.Id), $"{urls.Web}/avatars/u/{user.Id}",
        $"{urls.Api}/users/{user.UserName}", $"{urls.Web}/{user.UserName}", $"{urls.Api}/users/{user.UserName}/repos", "User", user.IsSiteAdmin);
}

public sealed record UserDto(
    [property: JsonPropertyName("login")] string Login,
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("avatar_url")] string AvatarUrl,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("html_url")] string HtmlUrl,
    [property: JsonPropertyName("repos_url")] string ReposUrl,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("site_admin")] bool SiteAdmin,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("public_repos")] int PublicRepos,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt)
{
    /// <summary>The email shows only to a credential allowed to read it (a session, or user / user:email).</summary>
    public static UserDto From(User user, Caller caller, int publicRepos, ApiUrls urls)
    {
        var created = DateTime.SpecifyKind(user.CreatedAt, DateTimeKind.Utc);
        var showEmail = caller.User?.Id == user.Id && AccessPolicy.DecideAccount(caller, Tokens.Scopes.UserEmail, Tokens.FineGrainedPermissions.EmailAddresses, Tokens.PermissionLevel.Read).IsAllowed;
        return new UserDto(user.UserName!, user.Id, NodeIds.For("User", user.Id), $"{urls.Web}/avatars/u/{user.Id}",
            $"{urls.Api}/users/{user.UserName}", $"{urls.Web}/{user.UserName}", $"{urls.Api}/users/{user.UserName}/repos", "User",
            user.IsSiteAdmin, null, showEmail ? user.Email : null, publicRepos, created, created);
    }
}

public sealed record PermissionsDto(
    [property: JsonPropertyName("admin")] bool Admin,
    [property: JsonPropertyName("push")] bool Push,
    [property: JsonPropertyName("pull")] bool Pull);

public sealed record RepositoryDto(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("full_name")] string FullName,
    [property: JsonPropertyName("private")] bool Private,
    [property: JsonPropertyName("visibility")] string Visibility,
    [property: JsonPropertyName("owner")] SimpleUserDto Owner,
    [property: JsonPropertyName("html_url")] string HtmlUrl,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("fork")] bool Fork,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("clone_url")] string CloneUrl,
    [property: JsonPropertyName("default_branch")] string DefaultBranch,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt,
    [property: JsonPropertyName("pushed_at")] DateTime? PushedAt,
    [property: JsonPropertyName("permissions"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PermissionsDto? Permissions)
{
    public static RepositoryDto From(Repository repo, Caller caller, ApiUrls urls, string? defaultBranch = null)
    {
        var owner = repo.Owner!;
        var fullName = $"{owner.UserName}/{repo.Name}";
        var created = DateTime.SpecifyKind(repo.CreatedAt, DateTimeKind.Utc);
        var pushed = repo.PushedAt is { } p ? DateTime.SpecifyKind(p, DateTimeKind.Utc) : (DateTime?)null;
        var permissions = caller.IsAuthenticated
            ? new PermissionsDto(
                AccessPolicy.Decide(caller, RepoAction.Admin, repo).IsAllowed,
                AccessPolicy.Decide(caller, RepoAction.Write, repo).IsAllowed,
                AccessPolicy.Decide(caller, RepoAction.ReadContents, repo).IsAllowed)
            : null;
        return new RepositoryDto(repo.Id, NodeIds.For("Repository", repo.Id), repo.Name, fullName, repo.IsPrivate, repo.IsPrivate ? "private" : "public",
            SimpleUserDto.From(owner, urls), $"{urls.Web}/{fullName}", repo.Description, false, $"{urls.Api}/repos/{fullName}",
            $"{urls.Web}/{fullName}.git", defaultBranch ?? RepositoryStore.InitialBranch, created, pushed ?? created, pushed, permissions);
    }
}

/// <summary>GitHub-style global node ids: opaque, stable, derived from type and id.</summary>
public static class NodeIds
{
    public static string For(string type, long id) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(FormattableString.Invariant($"{type}:{id}"))).TrimEnd('=');

    /// <summary>The id inside a node id of <paramref name="type"/>, or null when it is not one.</summary>
    public static long? TryRead(string nodeId, string type)
    {
        var padded = nodeId + new string('=', (4 - nodeId.Length % 4) % 4);
        var buffer = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
            return null;
        var text = System.Text.Encoding.ASCII.GetString(buffer, 0, written);
        return text.StartsWith(type + ":", StringComparison.Ordinal)
            && long.TryParse(text[(type.Length + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id : null;
    }
}
