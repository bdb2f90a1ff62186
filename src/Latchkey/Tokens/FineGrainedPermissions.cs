namespace Latchkey.Tokens;

/// <summary>Which repositories a fine-grained token reaches ("Repository access" on the form).</summary>
public enum RepositoryAccess
{
    /// <summary>Public repositories, read-only: no private repository, no write anywhere.</summary>
    PublicOnly = 0,

    /// <summary>Every repository the owner owns or collaborates on, now and later.</summary>
    All = 1,

    /// <summary>Only the repositories picked on the form.</summary>
    Selected = 2,
}

public enum PermissionLevel
{
    None = 0,
    Read = 1,
    Write = 2,
}

/// <summary>One row of the Permissions section: its key (as in X-Accepted-GitHub-Permissions), label and what it covers.</summary>
public sealed record PermissionDefinition(string Key, string Name, string Description, bool Mandatory = false);

/// <summary>
/// The permissions a fine-grained token can hold, as GitHub names them, limited to features Latchkey
/// has. Repository permissions apply to the repositories the token reaches; account permissions to its owner.
/// </summary>
public static class FineGrainedPermissions
{
    public const string Administration = "administration";
    public const string Contents = "contents";
    public const string Metadata = "metadata";
    public const string Profile = "profile";
    public const string EmailAddresses = "email_addresses";

    public static IReadOnlyList<PermissionDefinition> Repository { get; } =
    [
        new(Administration, "Administration", "Repository settings, collaborators and invitations, deletion."),
        new(Contents, "Contents", "Repository contents, commits, branches: git clone and fetch (read), git push and file changes (write)."),
        new(Metadata, "Metadata", "Search repositories, list collaborators, and access repository metadata.", Mandatory: true),
    ];

    public static IReadOnlyList<PermissionDefinition> Account { get; } =
    [
        new(EmailAddresses, "Email addresses", "Manage a user's email addresses."),
        new(Profile, "Profile", "Manage a user's public profile."),
    ];

    public static IEnumerable<PermissionDefinition> All => Repository.Concat(Account);

    public static bool IsKnown(string key) => All.Any(p => p.Key == key);

    /// <summary>"contents=write" (GitHub's header form) as people read it: "Contents: Read and write".</summary>
    public static string Label(string requirement)
    {
        var parts = requirement.Split('=');
        var name = All.FirstOrDefault(p => p.Key == parts[0])?.Name ?? parts[0];
        return parts.Length == 2 && ParseLevel(parts[1]) is { } level ? $"{name}: {LevelLabel(level)}" : name;
    }

    public static string LevelName(PermissionLevel level) => level switch
    {
        PermissionLevel.Read => "read",
        PermissionLevel.Write => "write",
        _ => "none",
    };

    public static string LevelLabel(PermissionLevel level) => level switch
    {
        PermissionLevel.Read => "Read-only",
        PermissionLevel.Write => "Read and write",
        _ => "No access",
    };

    /// <summary>Reads a form or URL value: none / read / write (also GitHub's "no access" spelling); null when it is none of them.</summary>
    public static PermissionLevel? ParseLevel(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" or "no_access" or "no-access" => PermissionLevel.None,
        "read" or "read-only" or "read_only" => PermissionLevel.Read,
        "write" or "read-write" or "read_write" => PermissionLevel.Write,
        _ => null,
    };
}

/// <summary>A token's permission levels; stored as "contents:write,metadata:read".</summary>
public sealed class PermissionSet
{
    private readonly SortedDictionary<string, PermissionLevel> _levels;

    private PermissionSet(SortedDictionary<string, PermissionLevel> levels) => _levels = levels;

    public static PermissionSet Empty { get; } = new(new SortedDictionary<string, PermissionLevel>(StringComparer.Ordinal));

    /// <summary>Known keys only, levels above None only, and Metadata read always (it is mandatory).</summary>
    public static PermissionSet From(IEnumerable<KeyValuePair<string, PermissionLevel>> levels)
    {
        var kept = new SortedDictionary<string, PermissionLevel>(StringComparer.Ordinal);
        foreach (var (key, level) in levels)
        {
            if (level > PermissionLevel.None && FineGrainedPermissions.IsKnown(key))
                kept[key] = level;
        }
        kept[FineGrainedPermissions.Metadata] = PermissionLevel.Read;
        return new PermissionSet(kept);
    }

    public static PermissionSet Parse(string? stored) => From((stored ?? "")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(pair => pair.Split(':'))
        .Where(parts => parts.Length == 2 && FineGrainedPermissions.ParseLevel(parts[1]) is not null)
        .Select(parts => KeyValuePair.Create(parts[0], FineGrainedPermissions.ParseLevel(parts[1])!.Value)));

    public PermissionLevel this[string key] => _levels.GetValueOrDefault(key);

    public bool Grants(string key, PermissionLevel needed) => this[key] >= needed;

    public IReadOnlyDictionary<string, PermissionLevel> Levels => _levels;

    /// <summary>"contents:write,metadata:read": what the database keeps.</summary>
    public override string ToString() => string.Join(',', _levels.Select(p => $"{p.Key}:{FineGrainedPermissions.LevelName(p.Value)}"));

    /// <summary>"Contents: Read and write, Metadata: Read-only": what people read.</summary>
    public string Describe() => string.Join(", ", FineGrainedPermissions.All
        .Where(p => this[p.Key] > PermissionLevel.None)
        .Select(p => $"{p.Name}: {FineGrainedPermissions.LevelLabel(this[p.Key])}"));
}

/// <summary>Everything a fine-grained token allows, for <see cref="Authorization.AccessPolicy"/>.</summary>
public sealed record FineGrainedGrant(RepositoryAccess Access, IReadOnlySet<long> RepositoryIds, PermissionSet Permissions)
{
    /// <summary>What a fine-grained credential whose grant is unknown may do: read public repositories, nothing more.</summary>
    public static FineGrainedGrant Nothing { get; } = new(RepositoryAccess.PublicOnly, new HashSet<long>(), PermissionSet.Empty);

    /// <summary>Does the token's repository access include this repository at all?</summary>
    public bool Reaches(long repositoryId, bool isPrivate) => Access switch
    {
        RepositoryAccess.All => true,
        RepositoryAccess.Selected => RepositoryIds.Contains(repositoryId),
        _ => !isPrivate,
    };
}
