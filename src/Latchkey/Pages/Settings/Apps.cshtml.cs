using Microsoft.AspNetCore.Authorization;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class AppsModel : LatchkeyPageModel
{
    public void OnGet()
    {
    }
}
