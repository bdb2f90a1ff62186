using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Data;
using Latchkey.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>
/// GET /user/token (Latchkey's own, not GitHub's): what the calling token is and may do, so a tool
/// can check a token before it relies on it. Never the secret: the last eight characters at most.
/// </summary>
public static class TokenIntrospectionApi
{
    public sealed record TokenRepositoryDto(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("full_name")] string FullName,
        [property: JsonPropertyName("private")] bool Private);

    public sealed record TokenDto(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("owner")] string Owner,
        [property: JsonPropertyName("token_last_eight")] string LastEight,
        [property: JsonPropertyName("created_at")] DateTime CreatedAt,
        [property: JsonPropertyName("expires_at")] DateTime? ExpiresAt,
        [property: JsonPropertyName("last_used_at")] DateTime? LastUsedAt,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("token_expired")] bool TokenExpired,
        [property: JsonPropertyName("token_last_used_at")] DateTime? TokenLastUsedAt,
        [property: JsonPropertyName("last_used_ip_network")] string? LastUsedIpNetwork,
        [property: JsonPropertyName("scopes")] IReadOnlyList<string>? Scopes,
        [property: JsonPropertyName("repository_selection")] string? RepositorySelection,
        [property: JsonPropertyName("repositories")] IReadOnlyList<TokenRepositoryDto>? Repositories,
        [property: JsonPropertyName("permissions")] IReadOnlyDictionary<string, string>? Permissions,
        [property: JsonPropertyName("allowed_networks")] IReadOnlyList<string> AllowedNetworks,
        [property: JsonPropertyName("canary")] bool Canary,
        [property: JsonPropertyName("revoked_at")] DateTime? RevokedAt);

    public static RouteGroupBuilder MapTokenIntrospectionApi(this RouteGroupBuilder api)
    {
        api.MapGet("/user/token", async Task<Results<Ok<TokenDto>, ApiErrorResult>> (HttpContext context, CurrentCaller current, TokenIssuer tokens, TokenLifetimePolicy lifetime, LatchkeyDb db, TimeProvider clock) =>
        {
            var caller = current.Caller;
            var token = await tokens.FindAsync(caller.User!.Id, caller.TokenId!.Value, context.RequestAborted);
            if (token is null)
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Bad credentials");

            if (token.Kind == TokenKind.Classic)
                return TypedResults.Ok(ToDto(token, caller.User.UserName!, lifetime, clock.GetUtcNow().UtcDateTime, null));
            return TypedResults.Ok(ToDto(token, caller.User.UserName!, lifetime, clock.GetUtcNow().UtcDateTime, await RepositoriesAsync(db, caller, token, context.RequestAborted)));
        })
        .Requires(TokenCallerRequirement.Instance)
        .WithSummary("The calling token: its type, expiry, repositories and permissions (Latchkey's own endpoint)");

        api.MapPatch("/user/token", NarrowAsync)
            .Requires(TokenCallerRequirement.Instance)
            .WithSummary("The calling token narrows itself: {\"allowed_networks\":[…]} (set when it had none, or a subset); widening needs the web form in sudo mode");

        api.MapPost("/user/token/rotate", RotateAsync)
            .Requires(TokenCallerRequirement.Instance)
            .WithSummary("The calling token replaces itself: a new secret, the same access; the old one works for overlap_seconds more");
        return api;
    }

    /// <summary>A fine-grained token's selected repositories, only those it can see now (a repository its owner lost access to is not named).</summary>
    private static async Task<List<TokenRepositoryDto>> RepositoriesAsync(LatchkeyDb db, Caller caller, PersonalAccessToken token, CancellationToken ct)
    {
        var ids = token.Repositories.Select(r => r.RepositoryId).ToList();
        return (await db.Repositories.AsNoTracking().Include(r => r.Owner).Include(r => r.Collaborators)
            .Where(r => ids.Contains(r.Id))
            .OrderBy(r => r.Id)
            .ToListAsync(ct))
            .Where(r => AccessPolicy.Decide(caller, RepoAction.Read, r).IsAllowed)
            .Select(r => new TokenRepositoryDto(r.Id, r.Owner!.UserName + "/" + r.Name, r.IsPrivate))
            .ToList();
    }

    public sealed record NarrowRequest([property: JsonPropertyName("allowed_networks")] string?[]? AllowedNetworks);

    /// <summary>
    /// PATCH /user/token: a token limits itself to networks (a deployment locking its own credential
    /// down). It may only narrow: set a list when it had none, or keep a part of its list. Widening or
    /// clearing is the owner's, on the token's page in sudo mode.
    /// </summary>
    private static async Task<Results<Ok<TokenDto>, ApiErrorResult>> NarrowAsync(HttpContext context, CurrentCaller current,
        TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock, LatchkeyDb db)
    {
        var (body, invalid) = await ApiJson.ReadAsync<NarrowRequest>(context);
        if (invalid is not null)
            return invalid;
        if (body!.AllowedNetworks is not { } given)
            return ApiErrors.Validation(new ApiErrors.FieldError("PersonalAccessToken", "allowed_networks", "missing_field",
                "allowed_networks must list the addresses or CIDR ranges the token may be used from."));
        var (networks, error) = Tokens.AllowedNetworks.Parse(given);
        if (networks is null)
            return ApiErrors.Validation(new ApiErrors.FieldError("PersonalAccessToken", "allowed_networks", "invalid", error));
        var caller = current.Caller;
        var (token, refused) = await tokens.NarrowNetworksAsync(caller.User!.Id, caller.TokenId!.Value, networks, context.RequestAborted);
        if (refused is not null)
            return ApiErrors.Result(StatusCodes.Status403Forbidden, refused);
        if (token is null)
            return ApiErrors.Result(StatusCodes.Status401Unauthorized, "Bad credentials");
        return TypedResults.Ok(ToDto(token, caller.User.UserName!, lifetime, clock.GetUtcNow().UtcDateTime,
            token.Kind == TokenKind.Classic ? null : await RepositoriesAsync(db, caller, token, context.RequestAborted)));
    }

    public sealed record RotateRequest([property: JsonPropertyName("overlap_seconds")] long? OverlapSeconds);

    /// <summary>
    /// POST /user/token/rotate: a token rotates itself (as GitLab's self/rotate), with an overlap in
    /// which the old secret still works, so a deployment can switch without a failed request. 201 with
    /// the new token object and, this once, its secret in <c>token</c>; 409 when the token was already rotated.
    /// </summary>
    private static async Task<Results<Created<System.Text.Json.Nodes.JsonObject>, ApiErrorResult>> RotateAsync(HttpContext context, CurrentCaller current,
        TokenIssuer tokens, TokenLifetimePolicy lifetime, TimeProvider clock, LatchkeyDb db)
    {
        var (body, invalid) = await ApiJson.ReadAsync<RotateRequest>(context, optional: true);
        if (invalid is not null)
            return invalid;
        var seconds = body?.OverlapSeconds ?? 0;
        if (seconds is < 0 or > TokenIssuer.MaxRotationOverlapSeconds)
        {
            return ApiErrors.Validation(new ApiErrors.FieldError("PersonalAccessToken", "overlap_seconds", "invalid",
                $"overlap_seconds must be a whole number of seconds from 0 to {TokenIssuer.MaxRotationOverlapSeconds}."));
        }
        var caller = current.Caller;
        var rotated = await tokens.RotateAsync(caller.User!.Id, caller.TokenId!.Value, TimeSpan.FromSeconds(seconds), context.RequestAborted);
        if (rotated is not { } result)
            return ApiErrors.Result(StatusCodes.Status409Conflict, "This token has already been rotated; use the token that replaced it.");
        var fresh = await tokens.FindAsync(caller.User.Id, result.Token.Id, context.RequestAborted);
        var dto = ToDto(fresh!, caller.User.UserName!, lifetime, clock.GetUtcNow().UtcDateTime,
            fresh!.Kind == TokenKind.Classic ? null : await RepositoriesAsync(db, caller, fresh, context.RequestAborted));
        var json = System.Text.Json.JsonSerializer.SerializeToNode(dto)!.AsObject();
        json["token"] = result.Plaintext;
        return TypedResults.Created($"{ApiUrls.Of(context.Request).Api}/user/token", json);
    }

    /// <summary>
    /// The token object every answer about a token uses (this endpoint, the site's inventory).
    /// <paramref name="repositories"/> are the selected repositories the answer may name.
    /// </summary>
    public static TokenDto ToDto(PersonalAccessToken token, string owner, TokenLifetimePolicy lifetime, DateTime nowUtc, IReadOnlyList<TokenRepositoryDto>? repositories)
    {
        var expiry = lifetime.EffectiveExpiry(token);
        var state = TokenNetworks.StateOf(token, expiry, nowUtc);
        var network = TokenNetworks.NetworkOf(token.LastUsedIp);
        if (token.Kind == TokenKind.Classic)
        {
            return new TokenDto(token.Id, "classic", token.Note, null, owner, token.LastEight,
                token.CreatedAt, expiry, token.LastUsedAt, state, state == "expired", token.LastUsedAt, network,
                token.ScopeList, null, null, null, Tokens.AllowedNetworks.Lines(token.AllowedNetworks), token.IsCanary, token.RevokedAt);
        }
        var selection = token.RepositoryAccess switch
        {
            RepositoryAccess.All => "all",
            RepositoryAccess.Selected => "selected",
            _ => "public",
        };
        var permissions = token.PermissionSet.Levels.ToDictionary(p => p.Key, p => FineGrainedPermissions.LevelName(p.Value));
        return new TokenDto(token.Id, "fine_grained", token.Note, token.Description, owner, token.LastEight,
            token.CreatedAt, expiry, token.LastUsedAt, state, state == "expired", token.LastUsedAt, network, null, selection,
            token.RepositoryAccess == RepositoryAccess.Selected ? repositories ?? [] : null, permissions, Tokens.AllowedNetworks.Lines(token.AllowedNetworks), token.IsCanary, token.RevokedAt);
    }
}
