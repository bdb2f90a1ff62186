using Latchkey.Accounts;
using Microsoft.AspNetCore.Identity;

namespace Latchkey.Authorization;

/// <summary>
/// The caller of a web page: the signed-in user with a session credential, or anonymous. A
/// suspended account is anonymous here whatever its cookie says (suspension ends sessions too,
/// but this does not rely on every path doing so). It also sets the request's <see cref="CurrentCaller"/>.
/// </summary>
public sealed class WebCaller(UserManager<User> users, CurrentCaller current)
{
    public async Task<Caller> GetAsync(HttpContext context)
    {
        var caller = Caller.Anonymous;
        if (context.User.Identity?.IsAuthenticated == true && await users.GetUserAsync(context.User) is { IsSuspended: false } user)
            caller = Caller.FromSession(user);
        current.SetSession(caller);
        return caller;
    }
}
