using System.Globalization;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace Latchkey.Pages.Settings.Tokens;

/// <summary>What the list page shows of a token just created or regenerated.</summary>
/// <param name="Shown">The secret, this one time.</param>
/// <param name="Spent">The flash named a secret that was already shown (or is too old): the page says to regenerate.</param>
public sealed record NewTokenHandover((long Id, string Plaintext)? Shown, bool Spent)
{
    /// <summary>
    /// Reads the flash the form left (TempData, read once) and claims the one showing from the
    /// database, so a replayed flash cookie shows nothing, in this session or a later one.
    /// </summary>
    public static async Task<NewTokenHandover> ReadAsync(ITempDataDictionary flash, string tokenKey, string idKey, TokenIssuer tokens, long userId, CancellationToken ct)
    {
        if (flash[tokenKey] is not string plaintext || !long.TryParse(flash[idKey] as string, CultureInfo.InvariantCulture, out var id))
            return new NewTokenHandover(null, false);
        return await tokens.ClaimHandoverAsync(userId, id, plaintext, ct)
            ? new NewTokenHandover((id, plaintext), false)
            : new NewTokenHandover(null, true);
    }
}
