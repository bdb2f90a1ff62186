using Latchkey.Accounts;

namespace Latchkey.Repositories;

public enum CollaboratorRole
{
    Pull,
    Push,
    Admin,
}

/// <summary>Someone other than the owner who may read (pull), write (push) or administer a repository.</summary>
public sealed class Collaborator
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public CollaboratorRole Permission { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>An invitation to collaborate, which the invitee accepts or declines.</summary>
public sealed class RepositoryInvitation
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository? Repository { get; set; }
    public long InviteeId { get; set; }
    public User? Invitee { get; set; }
    public long InviterId { get; set; }
    public User? Inviter { get; set; }
    public CollaboratorRole Permission { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>GitHub's words for the permissions in invitations.</summary>
    public static string Describe(CollaboratorRole permission) => permission switch
    {
        CollaboratorRole.Pull => "read",
        CollaboratorRole.Push => "write",
        _ => "admin",
    };

    public static CollaboratorRole? Parse(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "push" or "write" => CollaboratorRole.Push,
        "pull" or "read" => CollaboratorRole.Pull,
        "admin" => CollaboratorRole.Admin,
        _ => null,
    };
}
