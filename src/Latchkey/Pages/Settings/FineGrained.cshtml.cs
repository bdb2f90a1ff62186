using Microsoft.AspNetCore.Authorization;

namespace Latchkey.Pages.Settings;

[Authorize]
public sealed class FineGrainedModel : LatchkeyPageModel
{
    public void OnGet()
    {
    }
}
