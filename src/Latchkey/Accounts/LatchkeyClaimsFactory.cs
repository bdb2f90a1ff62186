using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Latchkey.Accounts;

/// <summary>
/// Adds a site-administrator marker to the signed-in principal, so the page header can offer the
/// administration link without a database read. Access itself is always decided by AccessPolicy.
/// </summary>
public sealed class LatchkeyClaimsFactory(UserManager<User> users, RoleManager<IdentityRole<long>> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<User, IdentityRole<long>>(users, roles, options)
{
    public const string SiteAdminClaim = "latchkey:site_admin";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(User user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.IsSiteAdmin)
            identity.AddClaim(new Claim(SiteAdminClaim, "true"));
        return identity;
    }
}
