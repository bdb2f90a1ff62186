using Microsoft.AspNetCore.Identity;

namespace Latchkey.Accounts;

public sealed class User : IdentityUser<long>
{
    public bool IsSiteAdmin { get; set; }
    public DateTime CreatedAt { get; set; }
}
