using Latchkey.Authorization;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages;

public sealed class IndexModel(WebCaller callers, RepositoryService repositories, RepositoryCollaborators collaborators) : LatchkeyPageModel
{
    public string? Username { get; private set; }
    public IReadOnlyList<Repository> Repositories { get; private set; } = [];
    public IReadOnlyList<RepositoryInvitation> Invitations { get; private set; } = [];

    [TempData]
    public string? Flash { get; set; }

    public async Task OnGetAsync()
    {
        var caller = await callers.GetAsync(HttpContext);
        if (caller.User is not { } user)
            return;
        Username = user.UserName;
        Repositories = await repositories.ListForMemberAsync(user.Id, HttpContext.RequestAborted);
        Invitations = await collaborators.PendingForUserAsync(user.Id, HttpContext.RequestAborted);
    }

    public Task<IActionResult> OnPostAcceptAsync(long id) => AnswerAsync(id, accept: true);

    public Task<IActionResult> OnPostDeclineAsync(long id) => AnswerAsync(id, accept: false);

    private async Task<IActionResult> AnswerAsync(long id, bool accept)
    {
        var caller = await callers.GetAsync(HttpContext);
        if (caller.User is not { } user)
            return Challenge();
        if (WebRefusal.For(this, AccessPolicy.DecideInvitations(caller)) is { } refusal)
            return refusal;
        if (!await collaborators.AnswerAsync(user.Id, id, accept, HttpContext.RequestAborted))
            return NotFound();
        Flash = accept ? "Invitation accepted: the repository is now yours to work on." : "Invitation declined.";
        return RedirectToPage();
    }
}
