using Microsoft.AspNetCore.Identity;

namespace Latchkey.Accounts;

public sealed class User : IdentityUser<long>
{
    public bool IsSiteAdmin { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>Set by a site administrator: no sign-in, no session, no token works while set.</summary>
    public DateTime? SuspendedAt { get; set; }

    public bool IsSuspended => SuspendedAt is not null;

    /// <summary>A copy for one request, so that a cached account is never shared between requests.</summary>
    public User Copy() => (User)MemberwiseClone();
}
