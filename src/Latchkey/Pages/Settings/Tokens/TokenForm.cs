using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Latchkey.Pages.Settings.Tokens;

public sealed record ExpirationPicker(string Choice, DateOnly? CustomDate, string Note, string MinDate, string MaxDate, IReadOnlyList<(string Value, string Label)> Choices);

public sealed record ScopeChecklist(IReadOnlyList<ScopeInfo> Offered, IReadOnlyCollection<string> Selected);

/// <summary>What the new, edit and regenerate token forms share: their parts and their checks.</summary>
public static class TokenForm
{
    public static IReadOnlyList<ScopeInfo> ScopesOfferedTo(User user) => Scopes.All.Where(s => !s.AdminOnly || user.IsSiteAdmin).ToList();

    public static ExpirationPicker Picker(KindLifetime policy, string? choice, DateOnly? customDate, DateTime nowUtc)
    {
        choice ??= policy.DefaultChoice;
        var note = choice switch
        {
            "none" => "The token will never expire!",
            "custom" => "",
            _ when policy.TryResolve(choice, null, nowUtc, out var at, out _) && at is { } when =>
                "The token will expire on " + TokensIndexModel.FormatDate(when),
            _ => "",
        };
        return new ExpirationPicker(choice, customDate, note,
            DateOnly.FromDateTime(nowUtc).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            policy.LatestCustomDate(nowUtc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            policy.Choices);
    }

    /// <summary>The Allowed networks field, parsed; null (and a form error) when a line is not an address or range.</summary>
    public static List<System.Net.IPNetwork>? CheckNetworks(string? text, ModelStateDictionary state)
    {
        var (networks, error) = AllowedNetworks.Parse(text);
        if (networks is null)
            state.AddModelError(string.Empty, "Allowed networks: " + error);
        return networks;
    }

    /// <summary>A token's allowed networks as the field shows them.</summary>
    public static string NetworksText(PersonalAccessToken token) => string.Join('\n', AllowedNetworks.Lines(token.AllowedNetworks));

    /// <summary>Model binding problems (say a custom date that is not a date) are reported, not thrown.</summary>
    public static void ReportBindingErrors(ModelStateDictionary state)
    {
        foreach (var key in state.Keys.Where(k => state[k]!.Errors.Count > 0).ToList())
        {
            state.Remove(key);
            state.AddModelError(string.Empty, key.EndsWith("CustomDate", StringComparison.Ordinal)
                ? "The custom expiration date is not a valid date."
                : $"The field {key} is not valid.");
        }
    }

    /// <summary>The trimmed note, with an error recorded when it is blank or too long.</summary>
    public static string? CheckNote(string? note, ModelStateDictionary state)
    {
        note = note?.Trim();
        if (string.IsNullOrEmpty(note))
            state.AddModelError(string.Empty, "Note can't be blank.");
        else if (note.Length > TokenRules.MaxNoteLength)
            state.AddModelError(string.Empty, $"Note is too long (maximum is {TokenRules.MaxNoteLength} characters).");
        return note;
    }

    public static void CheckScopes(IEnumerable<string> scopes, User user, ModelStateDictionary state)
    {
        // The issuer refuses the same (AccessPolicy.DecideScopeGrant); the form says every problem at once.
        foreach (var scope in scopes.Distinct(StringComparer.Ordinal))
        {
            if (Authorization.AccessPolicy.DecideScopeGrant(user, [scope]) is { IsAllowed: false, Message: { } message })
                state.AddModelError(string.Empty, message);
        }
    }
}
