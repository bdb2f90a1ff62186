using Latchkey.Accounts;
using Latchkey.Repositories;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages.Repositories;

[Authorize]
public sealed class NewRepositoryModel(UserManager<User> users, RepositoryService repositories) : LatchkeyPageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public long OwnerId { get; private set; }
    public string OwnerName { get; private set; } = "";

    public sealed class InputModel
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public string? Visibility { get; set; } = "public";
        public bool AddReadme { get; set; }
    }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        (OwnerId, OwnerName) = (user.Id, user.UserName!);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
            return Challenge();
        (OwnerId, OwnerName) = (user.Id, user.UserName!);
        if (!ModelState.IsValid)
            return FormErrors("The form could not be read.");
        if (Input.Visibility is not ("public" or "private"))
            return FormErrors("Choose Public or Private.");

        var result = await repositories.CreateAsync(user, Input.Name ?? "", Input.Description, Input.Visibility == "private", Input.AddReadme, HttpContext.RequestAborted);
        if (result.Repository is not { } repo)
            return FormErrors(result.Error);
        return Redirect($"/{user.UserName}/{repo.Name}");
    }
}
