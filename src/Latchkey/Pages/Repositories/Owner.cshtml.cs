using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

public sealed class OwnerModel(UserManager<User> users, WebCaller callers, RepositoryService repositories) : LatchkeyPageModel
{
    public long OwnerId { get; private set; }
    public string OwnerName { get; private set; } = "";
    public IReadOnlyList<Repository> Repositories { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string owner)
    {
        var user = await users.FindByNameAsync(owner);
        if (user is null)
            return NotFound();
        var caller = await callers.GetAsync(HttpContext);
        var all = await repositories.ListForOwnerAsync(user.Id, includePrivate: true, HttpContext.RequestAborted);
        // Each repository is shown only when the policy lets this caller read it.
        Repositories = all.Where(r => AccessPolicy.Decide(caller, RepoAction.Read, r).IsAllowed).ToList();
        (OwnerId, OwnerName) = (user.Id, user.UserName!);
        return Page();
    }
}
