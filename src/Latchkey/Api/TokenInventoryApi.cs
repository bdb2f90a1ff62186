using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Notifications;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Api;

/// <summary>
/// The site's credential inventory (issue #18), for site administrators: every personal access
/// token of every account as the token object, filtered and paged in the database. Plain users get
/// 404, as for every admin endpoint.
/// </summary>
public static class TokenInventoryApi
{
    public static RouteGroupBuilder MapTokenInventoryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/admin/personal-access-tokens", ListAsync)
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("Every personal access token on the site (filters: owner, type, state; paged)");
        api.MapPost("/admin/personal-access-tokens", RevokeAsync)
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("Revokes tokens in bulk ({\"action\":\"revoke\",\"pat_ids\":[…]}, GitHub's organization endpoint's body)");
        return api;
    }

    /// <summary>At most this many tokens per call.</summary>
    public const int MaxRevokeIds = 1000;

    public sealed record BulkAction(
        [property: JsonPropertyName("action")] string? Action,
        [property: JsonPropertyName("pat_ids")] long[]? PatIds);

    /// <summary>Accepted; what it did is in each owner's security log and mailbox.</summary>
    public sealed record BulkResult;

    private static async Task<Results<Accepted<BulkResult>, ApiErrorResult>> RevokeAsync(
        HttpContext context, CurrentCaller current, TokenIssuer issuer, Mailer mailer, ILogger<TokenIssuer> logger)
    {
        var (body, invalid) = await ApiJson.ReadAsync<BulkAction>(context);
        if (invalid is not null)
            return invalid;
        if (body!.Action != "revoke")
            return Invalid("action", "action must be revoke.");
        if (body.PatIds is not { Length: > 0 and <= MaxRevokeIds } ids)
            return Invalid("pat_ids", $"pat_ids must list from 1 to {MaxRevokeIds} token ids.");

        var revoked = await issuer.RevokeManyAsync(ids.Distinct().ToList(), current.User!, context.RequestAborted);
        // One mail per owner, naming each of their tokens; the revocation stands whatever the mail server does.
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
                    context.RequestAborted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not mail the owner of {Count} revoked tokens", owned.Count());
            }
        }
        return TypedResults.Accepted((string?)null, new BulkResult());
    }

    private static async Task<Results<Ok<List<TokenIntrospectionApi.TokenDto>>, ApiErrorResult>> ListAsync(
        HttpContext context, LatchkeyDb db, TokenLifetimePolicy lifetime, TimeProvider clock, Repositories.RepositoryService repositories)
    {
        var (paging, pagingError) = Paging.From(context.Request);
        if (paging is null)
            return pagingError!;
        var query = context.Request.Query;
        var now = clock.GetUtcNow().UtcDateTime;
        var tokens = db.Tokens.AsNoTracking();

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
                return Invalid("type", "type must be classic or fine_grained.");
        }
        // Expired at its own expiry, or at the site's lifetime limit counted from its creation
        // (TokenLifetimePolicy.EffectiveExpiry, in the query). Revoked tokens are deleted at once.
        DateTime? bornBefore = lifetime.MaxLifetimeDays is { } days ? now.AddDays(-days) : null;
        switch (query["state"].ToString())
        {
            case "":
                break;
            case "active":
                tokens = tokens.Where(t => t.ExpiresAt == null || t.ExpiresAt > now);
                if (bornBefore is { } activeSince)
                    tokens = tokens.Where(t => t.CreatedAt > activeSince);
                break;
            case "expired":
                tokens = bornBefore is { } expiredSince
                    ? tokens.Where(t => (t.ExpiresAt != null && t.ExpiresAt <= now) || t.CreatedAt <= expiredSince)
                    : tokens.Where(t => t.ExpiresAt != null && t.ExpiresAt <= now);
                break;
            case "revoked":
                tokens = tokens.Where(_ => false);
                break;
            default:
                return Invalid("state", "state must be active, expired or revoked.");
        }

        // Expiring before a moment (their own expiry or the site's limit): what to renew or chase.
        if (query["expires_before"].ToString() is { Length: > 0 } before)
        {
            if (!DateTimeOffset.TryParse(before, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var moment))
                return Invalid("expires_before", "expires_before must be a date or time in ISO 8601, such as 2027-01-31 or 2027-01-31T12:00:00Z.");
            var cutoff = moment.UtcDateTime;
            tokens = lifetime.MaxLifetimeDays is { } limit
                ? tokens.Where(t => (t.ExpiresAt != null && t.ExpiresAt < cutoff) || t.CreatedAt < cutoff.AddDays(-limit))
                : tokens.Where(t => t.ExpiresAt != null && t.ExpiresAt < cutoff);
        }
        // Not used for N days: last used before then, or never used and older than that.
        if (query["unused_for_days"].ToString() is { Length: > 0 } unused)
        {
            if (!int.TryParse(unused, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var idleDays) || idleDays is < 1 or > 3650)
                return Invalid("unused_for_days", "unused_for_days must be a whole number of days from 1 to 3650.");
            var since = now.AddDays(-idleDays);
            tokens = tokens.Where(t => t.LastUsedAt == null ? t.CreatedAt <= since : t.LastUsedAt <= since);
        }
        // Classic tokens that hold a scope, itself or through its parent (public_repo: repo too).
        if (query["scope"].ToString() is { Length: > 0 } scope)
        {
            if (!Scopes.IsKnown(scope))
                return Invalid("scope", $"scope must be a classic scope, such as repo or read:user; {scope} is not one.");
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
                return Invalid("permission", "permission must be a fine-grained permission, optionally with a level: contents, contents:read or contents:write.");
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
            var target = named.Length == 2 ? await repositories.FindAsync(named[0], named[1], context.RequestAborted) : null;
            if (target is null)
                return Invalid("repository", "repository must be an existing repository, named owner/name.");
            var people = target.Collaborators.Select(c => c.UserId).Append(target.OwnerId).ToList();
            var id = target.Id;
            var isPublic = !target.IsPrivate;
            tokens = tokens.Where(t => people.Contains(t.UserId) && (t.Kind == TokenKind.Classic
                ? (", " + t.Scopes + ",").Contains(", repo,") || (isPublic && (", " + t.Scopes + ",").Contains(", public_repo,"))
                : t.RepositoryAccess == RepositoryAccess.All || t.Repositories.Any(r => r.RepositoryId == id) || (isPublic && t.RepositoryAccess == RepositoryAccess.PublicOnly)));
        }

        var total = await tokens.CountAsync(context.RequestAborted);
        var page = await tokens.OrderBy(t => t.Id).Skip(paging.Skip).Take(paging.PerPage)
            .Include(t => t.User).Include(t => t.Repositories)
            .AsSplitQuery()
            .ToListAsync(context.RequestAborted);
        var repositoryIds = page.SelectMany(t => t.Repositories).Select(r => r.RepositoryId).Distinct().ToList();
        var names = await db.Repositories.AsNoTracking().Where(r => repositoryIds.Contains(r.Id))
            .Select(r => new TokenIntrospectionApi.TokenRepositoryDto(r.Id, r.Owner!.UserName + "/" + r.Name, r.IsPrivate))
            .ToDictionaryAsync(r => r.Id, context.RequestAborted);
        paging.WriteLinks(context, total);
        return TypedResults.Ok(page.Select(t => TokenIntrospectionApi.ToDto(t, t.User!.UserName!, lifetime, now,
            t.Repositories.Where(r => names.ContainsKey(r.RepositoryId)).Select(r => names[r.RepositoryId]).OrderBy(r => r.Id).ToList())).ToList());
    }

    private static ApiErrorResult Invalid(string field, string message) =>
        ApiErrors.Validation(new ApiErrors.FieldError("PersonalAccessToken", field, "invalid", message));
}
