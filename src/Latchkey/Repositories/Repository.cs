using Latchkey.Accounts;

namespace Latchkey.Repositories;

public sealed class Repository
{
    public long Id { get; set; }
    public long OwnerId { get; set; }
    public User? Owner { get; set; }
    public required string Name { get; set; }

    /// <summary>Upper-cased name for the case-insensitive unique index (GitHub treats names that way).</summary>
    public required string NormalizedName { get; set; }
    public string? Description { get; set; }
    public bool IsPrivate { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? PushedAt { get; set; }

    /// <summary>Archives carry the files behind Git LFS pointers, not the pointers (GitHub's "Include Git LFS objects in archives").</summary>
    public bool IncludeLfsInArchives { get; set; }

    /// <summary>Loaded with the repository wherever access is decided.</summary>
    public List<Collaborator> Collaborators { get; set; } = [];

    public static string Normalize(string name) => name.ToUpperInvariant();
}
