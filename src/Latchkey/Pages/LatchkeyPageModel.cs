using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Pages;

/// <summary>Shared page behaviour: a form with errors is answered 422, with its messages on the page.</summary>
public abstract class LatchkeyPageModel : PageModel
{
    protected PageResult FormErrors(string? message = null)
    {
        if (message is not null)
            ModelState.AddModelError(string.Empty, message);
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }
}
