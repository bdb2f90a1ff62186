using Latchkey.Accounts;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Authorization;

/// <summary>The caller of a web page: the signed-in user with a session credential, or anonymous.</summary>
public sealed class WebCaller(UserManager<User> users)
{
    public async Task<Caller> GetAsync(HttpContext context)
    {
        if (context.User.Identity?.IsAuthenticated != true)
            return Caller.Anonymous;
        var user = await users.GetUserAsync(context.User);
        return user is null ? Caller.Anonymous : Caller.FromSession(user);
    }
}
