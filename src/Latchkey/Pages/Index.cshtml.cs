using Latchkey.Authorization;
using Latchkey.Repositories;

namespace Latchkey.Pages;

public sealed class IndexModel(WebCaller callers, RepositoryService repositories) : LatchkeyPageModel
{
    public string? Username { get; private set; }
    public IReadOnlyList<Repository> Repositories { get; private set; } = [];

    public async Task OnGetAsync()
    {
        var caller = await callers.GetAsync(HttpContext);
        if (caller.User is not { } user)
            return;
        Username = user.UserName;
        Repositories = await repositories.ListForOwnerAsync(user.Id, includePrivate: true, HttpContext.RequestAborted);
    }
}
