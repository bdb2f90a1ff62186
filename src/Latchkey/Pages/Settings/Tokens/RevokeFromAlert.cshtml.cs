using Latchkey.Tokens;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>
/// The link in a new-network mail (<see cref="NewNetworkAlerts"/>). Anonymous: the link itself is the
/// credential, and the person may read the mail on a phone that is signed out. GET only shows what
/// the link would revoke (mail scanners fetch links); the POST revokes, once.
/// </summary>
public sealed class RevokeFromAlertModel(NewNetworkAlerts alerts, TokenIssuer tokens) : LatchkeyPageModel
{
    /// <summary>The sealed link (query string or form field <c>t</c>).</summary>
    [BindProperty(SupportsGet = true, Name = "t")]
    public string? Link { get; set; }

    public RevokeLinkCheck Check { get; private set; } = new(RevokeLinkState.Invalid);

    /// <summary>True once this request revoked the token.</summary>
    public bool Revoked { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        Check = await alerts.CheckAsync(Link, HttpContext.RequestAborted);
        return Answer();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        Check = await alerts.RevokeAsync(Link, tokens, HttpContext.RequestAborted);
        Revoked = Check.State == RevokeLinkState.Valid;
        return Answer();
    }

    /// <summary>What the page says of a link that cannot revoke anything (null for a good one).</summary>
    public string? Refusal => Check.State switch
    {
        RevokeLinkState.Invalid => "This link is invalid. Copy the whole link from the mail, or revoke the token on its page under Settings > Developer settings.",
        RevokeLinkState.Expired => "This link has expired. Revoke the token on its page under Settings > Developer settings.",
        RevokeLinkState.Used => "This link has already been used, or the token was deleted since: the token no longer exists and no longer works.",
        RevokeLinkState.Regenerated => "The token was regenerated since this mail was sent, so this link no longer applies to it. Review it on its page under Settings > Developer settings.",
        _ => null,
    };

    private PageResult Answer()
    {
        Response.StatusCode = Check.State switch
        {
            RevokeLinkState.Valid => StatusCodes.Status200OK,
            RevokeLinkState.Invalid => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status410Gone,
        };
        return Page();
    }
}
