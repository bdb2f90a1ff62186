using System.Globalization;
using Latchkey.Pages.Settings.Tokens;
using Latchkey.Repositories;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Latchkey.Pages.Settings.FineGrained;

/// <summary>What the new-token form and the token page post (expiry only on the new-token form).</summary>
public sealed class FineGrainedInput
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? Expiration { get; set; }
    public DateOnly? CustomDate { get; set; }

    /// <summary>public, all or selected.</summary>
    public string? RepositoryAccess { get; set; }
    public List<long> RepositoryIds { get; set; } = [];

    /// <summary>One address or CIDR range per line; empty: anywhere.</summary>
    public string? AllowedNetworks { get; set; }

    /// <summary>
    /// Permission key → none / read / write, as posted by <c>Input.Permissions[contents]</c>. Read from
    /// the form by <see cref="FineGrainedForm.ReadPermissions"/>, not by the model binder, whose
    /// dictionary binding answers a repeated key with an exception.
    /// </summary>
    [BindNever]
    public Dictionary<string, string?> Permissions { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The live "Overview" box: what the token will be able to do.</summary>
public sealed record TokenOverview(string Repositories, string Git, IReadOnlyList<string> RepositoryPermissions, IReadOnlyList<string> AccountPermissions);

/// <summary>Everything the shared form partial draws. <see cref="Expiration"/> is null on the token page: expiry changes only by regenerating.</summary>
public sealed record FineGrainedFormView(FineGrainedInput Input, string Owner, IReadOnlyList<Repository> Repositories, ExpirationPicker? Expiration, TokenOverview Overview)
{
    public PermissionLevel LevelOf(string key) =>
        FineGrainedPermissions.ParseLevel(Input.Permissions.GetValueOrDefault(key)) ?? PermissionLevel.None;
}

/// <summary>What the fine-grained token pages share: parsing, checks, the overview and prefilling from a link.</summary>
public static class FineGrainedForm
{
    private const string PermissionField = "Input.Permissions[";

    /// <summary>The posted permission levels: fields named <c>Input.Permissions[key]</c>, the first value of each.</summary>
    public static void ReadPermissions(IFormCollection form, FineGrainedInput input)
    {
        input.Permissions.Clear();
        foreach (var (name, values) in form)
        {
            if (name.StartsWith(PermissionField, StringComparison.Ordinal) && name.EndsWith(']') && name.Length > PermissionField.Length + 1)
                input.Permissions.TryAdd(name[PermissionField.Length..^1], values.FirstOrDefault());
        }
    }

    public static RepositoryAccess? ParseAccess(string? value) => value switch
    {
        "public" => RepositoryAccess.PublicOnly,
        "all" => RepositoryAccess.All,
        "selected" => RepositoryAccess.Selected,
        _ => null,
    };

    public static string AccessValue(RepositoryAccess access) => access switch
    {
        RepositoryAccess.All => "all",
        RepositoryAccess.Selected => "selected",
        _ => "public",
    };

    /// <summary>"All repositories", "3 selected repositories", "Public repositories (read-only)": the list's column.</summary>
    public static string DescribeReach(RepositoryAccess access, int selected) => access switch
    {
        RepositoryAccess.All => "All repositories",
        RepositoryAccess.Selected => selected == 1 ? "1 selected repository" : $"{selected} selected repositories",
        _ => "Public repositories (read-only)",
    };

    /// <summary>The fine-grained choices (never "No expiration"), the default when the choice is not one of them.</summary>
    public static ExpirationPicker Picker(KindLifetime lifetime, string? choice, DateOnly? customDate, DateTime nowUtc)
    {
        var choices = lifetime.Choices;
        if (choice is null || !choices.Any(c => c.Value == choice))
            choice = lifetime.DefaultChoice;
        return TokenForm.Picker(lifetime, choice, customDate, nowUtc) with { Choices = choices };
    }

    public static FineGrainedFormView View(FineGrainedInput input, string owner, IReadOnlyList<Repository> repositories, ExpirationPicker? expiration) =>
        new(input, owner, repositories, expiration, Overview(input, repositories));

    public static string FullName(Repository repository) => $"{repository.Owner?.UserName}/{repository.Name}";

    /// <summary>The overview, from the form's values as they are (wrong values count as no access). latchkey.js writes the same sentences.</summary>
    public static TokenOverview Overview(FineGrainedInput input, IReadOnlyList<Repository> repositories)
    {
        var access = ParseAccess(input.RepositoryAccess);
        var picked = repositories.Where(r => input.RepositoryIds.Contains(r.Id)).Select(FullName).ToList();
        var reach = access switch
        {
            RepositoryAccess.PublicOnly => "Public repositories (read-only)",
            RepositoryAccess.All => "All repositories you own or collaborate on, now and later",
            RepositoryAccess.Selected when picked.Count == 0 => "No repository selected yet",
            RepositoryAccess.Selected => (picked.Count == 1 ? "1 repository: " : $"{picked.Count} repositories: ") + string.Join(", ", picked),
            _ => "Choose the repository access",
        };
        PermissionLevel Level(string key) => key == FineGrainedPermissions.Metadata
            ? PermissionLevel.Read
            : FineGrainedPermissions.ParseLevel(input.Permissions.GetValueOrDefault(key)) ?? PermissionLevel.None;
        // With public access only Metadata applies to repositories (TokenIssuer drops the rest).
        var repositoryPermissions = FineGrainedPermissions.Repository
            .Where(p => access != RepositoryAccess.PublicOnly || p.Mandatory)
            .Where(p => Level(p.Key) > PermissionLevel.None)
            .Select(p => $"{p.Name}: {FineGrainedPermissions.LevelLabel(Level(p.Key))}")
            .ToList();
        var accountPermissions = FineGrainedPermissions.Account
            .Where(p => Level(p.Key) > PermissionLevel.None)
            .Select(p => $"{p.Name}: {FineGrainedPermissions.LevelLabel(Level(p.Key))}")
            .ToList();
        var git = access switch
        {
            null => "Choose the repository access",
            RepositoryAccess.PublicOnly => "Clone and fetch public repositories",
            _ => Level(FineGrainedPermissions.Contents) switch
            {
                PermissionLevel.Write => "Clone, fetch and push",
                PermissionLevel.Read => "Clone and fetch",
                _ => "No access (Contents: No access)",
            },
        };
        return new TokenOverview(reach, git, repositoryPermissions, accountPermissions);
    }

    /// <summary>The request to hand to <see cref="TokenIssuer"/>, or null with the form's errors recorded.</summary>
    public static FineGrainedRequest? Check(FineGrainedInput input, ModelStateDictionary state)
    {
        if (string.IsNullOrWhiteSpace(input.Name))
            state.AddModelError(string.Empty, "Token name can't be blank.");
        var access = ParseAccess(input.RepositoryAccess);
        if (access is null)
        {
            state.AddModelError(string.Empty, string.IsNullOrEmpty(input.RepositoryAccess)
                ? "Choose the repository access."
                : $"Unknown repository access {Quote(input.RepositoryAccess)}: choose public, all or selected.");
        }
        var levels = new Dictionary<string, PermissionLevel>(StringComparer.Ordinal);
        foreach (var (key, value) in input.Permissions)
        {
            var definition = FineGrainedPermissions.All.FirstOrDefault(p => p.Key == key);
            if (definition is null)
                state.AddModelError(string.Empty, $"Unknown permission {Quote(key)}.");
            else if (FineGrainedPermissions.ParseLevel(value) is not { } level)
                state.AddModelError(string.Empty, $"Unknown access level {Quote(value)} for {definition.Name}: use none, read or write.");
            else if (definition.Mandatory && level != PermissionLevel.Read)
                state.AddModelError(string.Empty, $"{definition.Name} is always read-only.");
            else
                levels[key] = level;
        }
        return access is { } chosen && state.IsValid
            ? new FineGrainedRequest(input.Name!, input.Description, chosen, input.RepositoryIds, PermissionSet.From(levels))
            : null;
    }

    /// <summary>
    /// Fills the form from a template link (<c>?name=…&amp;description=…&amp;expires_in=30&amp;contents=read</c>,
    /// as GitHub's) and returns what was ignored and why, for the page to say so.
    /// </summary>
    public static IReadOnlyList<string> Prefill(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> query,
        FineGrainedInput input, string owner, TokenLifetimePolicy lifetime, DateTime nowUtc)
    {
        var ignored = new List<string>();
        foreach (var (key, values) in query)
        {
            var value = values.Count > 0 ? values[0] ?? "" : "";
            if (values.Count > 1)
                ignored.Add($"{Quote(key)} is given {values.Count} times in the link; only the first value is used.");
            switch (key)
            {
                case "name":
                    if (value.Trim().Length > TokenRules.MaxNameLength)
                        ignored.Add($"The name in the link is too long (maximum is {TokenRules.MaxNameLength} characters): shorten it.");
                    input.Name = value;
                    break;
                case "description":
                    if (value.Length > TokenRules.MaxDescriptionLength)
                        ignored.Add($"The description in the link is too long (maximum is {TokenRules.MaxDescriptionLength} characters): shorten it.");
                    input.Description = value;
                    break;
                case "expires_in":
                    PrefillExpiry(value, input, lifetime, nowUtc, ignored);
                    break;
                case "target_name":
                    if (!string.Equals(value, owner, StringComparison.OrdinalIgnoreCase))
                        ignored.Add($"Unknown resource owner {Quote(value)} in the link: the token's resource owner is {owner}.");
                    break;
                default:
                    var definition = FineGrainedPermissions.All.FirstOrDefault(p => p.Key == key);
                    if (definition is null)
                        ignored.Add($"Unknown permission {Quote(key)} in the link.");
                    else if (FineGrainedPermissions.ParseLevel(value) is not { } level)
                        ignored.Add($"Unknown access level {Quote(value)} for permission {Quote(key)} in the link: use none, read or write.");
                    else if (definition.Mandatory && level != PermissionLevel.Read)
                        ignored.Add($"{definition.Name} is always read-only; {Quote($"{key}={value}")} in the link was ignored.");
                    else if (!definition.Mandatory)
                        input.Permissions[key] = FineGrainedPermissions.LevelName(level);
                    break;
            }
        }
        return ignored;
    }

    private static void PrefillExpiry(string value, FineGrainedInput input, TokenLifetimePolicy lifetime, DateTime nowUtc, List<string> ignored)
    {
        if (value == "none")
        {
            ignored.Add("Fine-grained tokens must have an expiration: 'expires_in=none' in the link was ignored.");
            return;
        }
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days < 1)
        {
            ignored.Add($"Unknown expiration {Quote(value)} in the link: give a number of days.");
            return;
        }
        if (lifetime.FineGrained.Choices.Any(c => c.Value == value))
        {
            input.Expiration = value;
            return;
        }
        var latest = lifetime.FineGrained.LatestCustomDate(nowUtc);
        var today = DateOnly.FromDateTime(nowUtc);
        // Compare day counts first: adding a huge number of days to a date throws.
        if (days > latest.DayNumber - today.DayNumber)
        {
            ignored.Add($"An expiration of {days} days in the link is too far away: the latest possible date is {latest.ToString("ddd, MMM d yyyy", CultureInfo.InvariantCulture)}.");
            return;
        }
        input.Expiration = "custom";
        input.CustomDate = today.AddDays(days);
    }

    /// <summary>A value from the request, quoted and cut short so a message stays readable.</summary>
    private static string Quote(string? value)
    {
        value ??= "";
        return "'" + (value.Length > 40 ? value[..40] + "…" : value) + "'";
    }
}
