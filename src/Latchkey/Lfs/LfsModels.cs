using Latchkey.Accounts;

namespace Latchkey.Lfs;

/// <summary>
/// That a repository holds an LFS object: the object's bytes are stored once for the whole site
/// (<see cref="LfsObjectStore"/>), and each repository that was given them has its own row, which is
/// what a download from that repository is checked against and what its quota counts.
/// </summary>
public sealed class LfsObject
{
    public long RepositoryId { get; set; }

    /// <summary>The SHA-256 of the content, 64 lower-case hex digits.</summary>
    public required string Oid { get; set; }
    public long Size { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A file locked in one repository by one user (Git LFS file locking).</summary>
public sealed class LfsLock
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public required string Path { get; set; }
    public long OwnerId { get; set; }
    public User? Owner { get; set; }
    public DateTime LockedAt { get; set; }
}
