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

    /// <summary>Pushes (and the server's own writes) since <see cref="Git.RepositoryMaintenance"/> last repacked; it runs once this reaches <c>Git:MaintenanceAfterPushes</c>.</summary>
    public int PushesSinceMaintenance { get; set; }

    public DateTime? MaintainedAt { get; set; }

    /// <summary>How many times maintenance has finished on this repository (for operators, and tests of the lease).</summary>
    public int MaintenanceRuns { get; set; }

    /// <summary>The server process maintaining the repository now; with <see cref="MaintenanceLeaseUntil"/>, the lease that lets one node at a time do it.</summary>
    public string? MaintenanceHolder { get; set; }

    /// <summary>Until when the lease holds (renewed while maintenance runs); after a failure, when the next attempt may be made.</summary>
    public DateTime? MaintenanceLeaseUntil { get; set; }

    /// <summary>Loaded with the repository wherever access is decided.</summary>
    public List<Collaborator> Collaborators { get; set; } = [];

    public static string Normalize(string name) => name.ToUpperInvariant();
}
