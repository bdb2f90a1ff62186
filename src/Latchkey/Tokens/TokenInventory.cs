using Latchkey.Data;
using Latchkey.Notifications;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

/// <summary>
/// The site's credential inventory (issue #18), shared by the admin API
/// (<c>/api/v3/admin/personal-access-tokens</c>) and the Site admin → Tokens page: the filters, as one
/// database query, and the mail each owner gets after a bulk revocation.
/// </summary>
public sealed class TokenInventory(LatchkeyDb db, TokenLifetimePolicy lifetime, TimeProvider clock, Repositories.RepositoryService repositories,
    Mailer mailer, ILogger<TokenInventory> logger)
{
    /// <summary>
    /// Every token, narrowed by the filters in <paramref name="query"/> (owner, type, state,
    /// expires_before, unused_for_days, scope, permission, repository); or which filter is wrong and why.
    /// </summary>
    public async Task<(IQueryable<PersonalAccessToken>? Tokens, (string Field, string Message)? Problem)> FilterAsync(IQueryCollection query, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // Revoked tokens are kept (PersonalAccessToken.RevokedAt) and left out unless state=revoked asks for them.
        var state = query["state"].ToString();
        IQueryable<PersonalAccessToken> tokens = state == "revoked"
            ? db.Tokens.IgnoreQueryFilters().AsNoTracking().Where(t => t.RevokedAt != null)
            : db.Tokens.AsNoTracking();

        if (query["owner"].ToString() is { Length: > 0 } owner)
        {
            var normalized = owner.ToUpperInvariant();
            tokens = tokens.Where(t => t.User!.NormalizedUserName == normalized);
        }
        switch (query["type"].ToString())
        {
            case "":
                break;
            case "classic":
                tokens = tokens.Where(t => t.Kind == TokenKind.Classic);
                break;
            case "fine_grained":
                tokens = tokens.Where(t => t.Kind == TokenKind.FineGrained);
                break;
            default:
                return (null, ("type", "type must be classic or fine_grained."));
        }
        // Expired at its own expiry, or at its kind's lifetime limit counted from its creation
        // (TokenLifetimePolicy.EffectiveExpiry, in the query).
        var policy = lifetime.Current;
        DateTime? classicBornBy = policy.ClassicMaxLifetimeDays is { } classicDays ? now.AddDays(-classicDays) : null;
        DateTime? fineGrainedBornBy = policy.FineGrainedMaxLifetimeDays is { } fineGrainedDays ? now.AddDays(-fineGrainedDays) : null;
        switch (state)
        {
            case "":
                break;
            case "active":
                tokens = tokens.Where(t => (t.ExpiresAt == null || t.ExpiresAt > now)
                    && !(classicBornBy != null && t.Kind == TokenKind.Classic && t.CreatedAt <= classicBornBy)
                    && !(fineGrainedBornBy != null && t.Kind == TokenKind.FineGrained && t.CreatedAt <= fineGrainedBornBy));
                break;
            case "expired":
                tokens = tokens.Where(t => (t.ExpiresAt != null && t.ExpiresAt <= now)
                    || (classicBornBy != null && t.Kind == TokenKind.Classic && t.CreatedAt <= classicBornBy)
                    || (fineGrainedBornBy != null && t.Kind == TokenKind.FineGrained && t.CreatedAt <= fineGrainedBornBy));
                break;
            case "revoked":
                break;
            default:
                return (null, ("state", "state must be active, expired or revoked."));
        }

        // Expiring before a moment (their own expiry or the site's limit): what to renew or chase.
        if (query["expires_before"].ToString() is { Length: > 0 } before)
        {
            if (!DateTimeOffset.TryParse(before, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var moment))
                return (null, ("expires_before", "expires_before must be a date or time in ISO 8601, such as 2027-01-31 or 2027-01-31T12:00:00Z."));
            var cutoff = moment.UtcDateTime;
            DateTime? classicBornBefore = policy.ClassicMaxLifetimeDays is { } classicLimit ? cutoff.AddDays(-classicLimit) : null;
            DateTime? fineGrainedBornBefore = policy.FineGrainedMaxLifetimeDays is { } fineGrainedLimit ? cutoff.AddDays(-fineGrainedLimit) : null;
            tokens = tokens.Where(t => (t.ExpiresAt != null && t.ExpiresAt < cutoff)
                || (classicBornBefore != null && t.Kind == TokenKind.Classic && t.CreatedAt < classicBornBefore)
                || (fineGrainedBornBefore != null && t.Kind == TokenKind.FineGrained && t.CreatedAt < fineGrainedBornBefore));
        }
        // Not used for N days: last used before then, or never used and older than that.
        if (query["unused_for_days"].ToString() is { Length: > 0 } unused)
        {
            if (!int.TryParse(unused, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var idleDays) || idleDays is < 1 or > 3650)
                return (null, ("unused_for_days", "unused_for_days must be a whole number of days from 1 to 3650."));
            var since = now.AddDays(-idleDays);
            tokens = tokens.Where(t => t.LastUsedAt == null ? t.CreatedAt <= since : t.LastUsedAt <= since);
        }
        // Classic tokens that hold a scope, itself or through its parent (public_repo: repo too).
        if (query["scope"].ToString() is { Length: > 0 } scope)
        {
            if (!Scopes.IsKnown(scope))
                return (null, ("scope", $"scope must be a classic scope, such as repo or read:user; {scope} is not one."));
            var granting = new[] { scope, Scopes.Find(scope)!.Parent }.Where(g => g is not null).Select(g => ", " + g + ",").ToList();
            tokens = granting.Count == 1
                ? tokens.Where(t => t.Kind == TokenKind.Classic && (", " + t.Scopes + ",").Contains(granting[0]))
                : tokens.Where(t => t.Kind == TokenKind.Classic && ((", " + t.Scopes + ",").Contains(granting[0]) || (", " + t.Scopes + ",").Contains(granting[1])));
        }
        // Fine-grained tokens with a permission at a level or above: "contents" (read), "contents:write".
        if (query["permission"].ToString() is { Length: > 0 } permission)
        {
            var parts = permission.Split(':', '=');
            var level = parts.Length == 2 ? FineGrainedPermissions.ParseLevel(parts[1]) : PermissionLevel.Read;
            if (parts.Length > 2 || !FineGrainedPermissions.IsKnown(parts[0]) || level is null or PermissionLevel.None)
                return (null, ("permission", "permission must be a fine-grained permission, optionally with a level: contents, contents:read or contents:write."));
            var write = "," + parts[0] + ":write,";
            var read = "," + parts[0] + ":read,";
            tokens = level == PermissionLevel.Write
                ? tokens.Where(t => t.Kind == TokenKind.FineGrained && ("," + t.Permissions + ",").Contains(write))
                : tokens.Where(t => t.Kind == TokenKind.FineGrained && (("," + t.Permissions + ",").Contains(write) || ("," + t.Permissions + ",").Contains(read)));
        }
        // Tokens that can reach a repository: their owner may (it is theirs, or they collaborate on it)
        // and the credential does (a classic token with repo, or public_repo on a public repository; a
        // fine-grained token over all repositories or selected with it, or public-only on a public one).
        if (query["repository"].ToString() is { Length: > 0 } fullName)
        {
            var named = fullName.Split('/');
            var target = named.Length == 2 ? await repositories.FindAsync(named[0], named[1], ct) : null;
            if (target is null)
                return (null, ("repository", "repository must be an existing repository, named owner/name."));
            var people = target.Collaborators.Select(c => c.UserId).Append(target.OwnerId).ToList();
            var id = target.Id;
            var isPublic = !target.IsPrivate;
            tokens = tokens.Where(t => people.Contains(t.UserId) && (t.Kind == TokenKind.Classic
                ? (", " + t.Scopes + ",").Contains(", repo,") || (isPublic && (", " + t.Scopes + ",").Contains(", public_repo,"))
                : t.RepositoryAccess == RepositoryAccess.All || t.Repositories.Any(r => r.RepositoryId == id) || (isPublic && t.RepositoryAccess == RepositoryAccess.PublicOnly)));
        }

        return (tokens, null);
    }

    /// <summary>After a bulk revocation: one mail per owner, naming each of their tokens; the revocation stands whatever the mail server does.</summary>
    public async Task MailOwnersAsync(IEnumerable<PersonalAccessToken> revoked, CancellationToken ct)
    {
        foreach (var owned in revoked.GroupBy(t => t.UserId))
        {
            var owner = owned.First().User!;
            if (owner.Email is not { } email)
                continue;
            var list = string.Join("\n", owned.Select(t => $"- \"{t.Note}\" (…{t.LastEight})"));
            try
            {
                await mailer.SendAsync(owner.UserName!, email, "[Latchkey] A site administrator revoked your personal access tokens",
                    $"Hi {owner.UserName},\n\nA site administrator revoked {(owned.Count() == 1 ? "this personal access token" : $"these {owned.Count()} personal access tokens")}:\n\n{list}\n\n" +
                    "They no longer work. If you still need a token, create a new one under\nSettings > Developer settings > Personal access tokens.\n",
                    ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not mail the owner of {Count} revoked tokens", owned.Count());
            }
        }
    }
}
