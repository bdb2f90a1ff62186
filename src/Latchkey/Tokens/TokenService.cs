using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

public enum TokenCheckResult
{
    Valid,
    Malformed,
    Unknown,
    Expired,
    OwnerSuspended,
}

public sealed record TokenCheck(TokenCheckResult Result, PersonalAccessToken? Token = null, User? User = null);

/// <summary>What the fine-grained token form asks for (expiry aside, which only creation and regeneration set).</summary>
public sealed record FineGrainedRequest(string Name, string? Description, RepositoryAccess Access, IReadOnlyCollection<long> RepositoryIds, PermissionSet Permissions);

/// <summary>Token limits (section "Tokens").</summary>
public sealed class TokenOptions
{
    /// <summary>Fine-grained tokens one user may hold (GitHub's limit is 50).</summary>
    public int MaxFineGrainedPerUser { get; set; } = 50;

    /// <summary>Repositories one fine-grained token may select.</summary>
    public int MaxSelectedRepositories { get; set; } = 50;
}

/// <summary>Who is presenting a token, for "last used" and the security log.</summary>
public sealed record TokenUse(string? IpAddress, string? UserAgent);

/// <summary>Issues, verifies, changes and deletes personal access tokens; every change is in the security log.</summary>
public sealed class TokenService(LatchkeyDb db, TokenDigest digest, TimeProvider clock, TokenLifetimePolicy lifetime, SecurityLogWriter log, Notifications.Mailer mailer,
    Microsoft.Extensions.Options.IOptions<TokenOptions> options, TokenCache cache, IHotReads hot, ILogger<TokenService> logger)
{
    /// <summary>How stale "last used" may get before a use writes it again (coalesces writes on busy tokens).</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Creates a token; the returned plaintext must be shown once and then forgotten.</summary>
    public async Task<(PersonalAccessToken Token, string Plaintext)> CreateClassicAsync(
        long userId, string note, IEnumerable<string> scopes, DateTime? expiresAt, CancellationToken ct)
    {
        var plaintext = TokenFormat.Generate(TokenKind.Classic);
        var token = new PersonalAccessToken
        {
            UserId = userId,
            Kind = TokenKind.Classic,
            Note = note,
            Digest = digest.Compute(plaintext),
            LastEight = plaintext[^8..],
            Scopes = Tokens.Scopes.Join(Tokens.Scopes.Normalise(scopes)),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt,
        };
        db.Tokens.Add(token);
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenCreated, Describe(token), token: token, ct: ct);
        return (token, plaintext);
    }

    /// <summary>Creates a fine-grained token, or says which input is wrong (as the form shows it).</summary>
    public async Task<(PersonalAccessToken? Token, string? Plaintext, string? Error)> CreateFineGrainedAsync(
        long userId, FineGrainedRequest request, DateTime expiresAt, CancellationToken ct)
    {
        var limit = options.Value.MaxFineGrainedPerUser;
        if (await db.Tokens.CountAsync(t => t.UserId == userId && t.Kind == TokenKind.FineGrained, ct) >= limit)
            return (null, null, $"You have reached the limit of {limit} fine-grained personal access tokens. Delete one you no longer use first.");
        if (expiresAt <= clock.GetUtcNow().UtcDateTime)
            return (null, null, "The expiration must be in the future.");
        if (await ValidateAsync(userId, null, request, ct) is { } error)
            return (null, null, error);

        var plaintext = TokenFormat.Generate(TokenKind.FineGrained);
        var token = new PersonalAccessToken
        {
            UserId = userId,
            Kind = TokenKind.FineGrained,
            Note = request.Name.Trim(),
            Digest = digest.Compute(plaintext),
            LastEight = plaintext[^8..],
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt,
        };
        Apply(token, request);
        db.Tokens.Add(token);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique index caught a name taken at the same moment.
            return (null, null, "Token name has already been taken.");
        }
        await log.RecordAsync(userId, SecurityActions.TokenCreated, Describe(token), token: token, ct: ct);
        return (token, plaintext, null);
    }

    /// <summary>Changes a fine-grained token's name, description, repositories and permissions; the secret and expiry stay.</summary>
    public async Task<string?> UpdateFineGrainedAsync(long userId, long tokenId, FineGrainedRequest request, CancellationToken ct)
    {
        var token = await db.Tokens.Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId && t.Kind == TokenKind.FineGrained, ct);
        if (token is null)
            return "That token does not exist.";
        if (await ValidateAsync(userId, tokenId, request, ct) is { } error)
            return error;
        var before = Describe(token);
        token.Note = request.Name.Trim();
        token.Repositories.Clear();
        Apply(token, request);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return "Token name has already been taken.";
        }
        await log.RecordAsync(userId, SecurityActions.TokenUpdated, $"{before} → {Describe(token)}", token: token, ct: ct);
        return null;
    }

    /// <summary>Repositories a fine-grained token of this user may select: owned, or shared with them as a collaborator.</summary>
    public Task<List<Repositories.Repository>> SelectableRepositoriesAsync(long userId, CancellationToken ct) =>
        db.Repositories.AsNoTracking().Include(r => r.Owner)
            .Where(r => r.OwnerId == userId || r.Collaborators.Any(c => c.UserId == userId))
            .OrderBy(r => r.Owner!.NormalizedUserName).ThenBy(r => r.NormalizedName)
            .ToListAsync(ct);

    private async Task<string?> ValidateAsync(long userId, long? tokenId, FineGrainedRequest request, CancellationToken ct)
    {
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0)
            return "Token name can't be blank.";
        if (name.Length > TokenRules.MaxNameLength)
            return $"Token name is too long (maximum is {TokenRules.MaxNameLength} characters).";
        if (name.Any(char.IsControl))
            return "Token name can't contain control characters.";
        if (request.Description is { Length: > TokenRules.MaxDescriptionLength })
            return $"Description is too long (maximum is {TokenRules.MaxDescriptionLength} characters).";
        if (await db.Tokens.AnyAsync(t => t.UserId == userId && t.Kind == TokenKind.FineGrained && t.Note == name && t.Id != tokenId, ct))
            return "Token name has already been taken.";
        if (!Enum.IsDefined(request.Access))
            return "Choose the repository access.";
        if (request.Access == RepositoryAccess.Selected)
        {
            if (request.RepositoryIds.Count == 0)
                return "Select at least one repository, or choose another repository access.";
            if (request.RepositoryIds.Count > options.Value.MaxSelectedRepositories)
                return $"Select at most {options.Value.MaxSelectedRepositories} repositories.";
            var ids = request.RepositoryIds.Distinct().ToList();
            var reachable = await db.Repositories.CountAsync(r => ids.Contains(r.Id) && (r.OwnerId == userId || r.Collaborators.Any(c => c.UserId == userId)), ct);
            if (reachable != ids.Count)
                return "Some selected repositories do not exist or are not yours to select.";
        }
        return null;
    }

    /// <summary>Copies the form's choices onto the token; a token for public repositories holds no repository permission but Metadata.</summary>
    private static void Apply(PersonalAccessToken token, FineGrainedRequest request)
    {
        token.Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim();
        token.RepositoryAccess = request.Access;
        var permissions = request.Access == RepositoryAccess.PublicOnly
            ? PermissionSet.From(request.Permissions.Levels.Where(p => FineGrainedPermissions.Account.Any(a => a.Key == p.Key)))
            : request.Permissions;
        token.Permissions = permissions.ToString();
        token.Repositories = request.Access == RepositoryAccess.Selected
            ? request.RepositoryIds.Distinct().Select(id => new TokenRepository { RepositoryId = id }).ToList()
            : [];
    }

    public async Task<TokenCheck> VerifyAsync(string presented, TokenUse use, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(presented, out _))
            return new TokenCheck(TokenCheckResult.Malformed);

        // The lookup key is an HMAC of the presented token, so the index comparison leaks nothing usable.
        var key = digest.Compute(presented);
        // The epoch first: a change committed after this read shows as a newer epoch next time.
        var epoch = await hot.CredentialEpochAsync(ct);
        PersonalAccessToken token;
        User owner;
        if (cache.Find(key, epoch) is { } cached)
        {
            (token, owner) = (cached.Token, cached.User);
        }
        else
        {
            var found = await db.Tokens.AsNoTracking().Include(t => t.User).Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Digest == key, ct);
            if (found?.User is null)
                return new TokenCheck(TokenCheckResult.Unknown);
            (token, owner) = (found, found.User);
            cache.Keep(key, epoch, token, owner);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (lifetime.EffectiveExpiry(token) is { } expiry && now >= expiry)
        {
            var why = token.ExpiresAt == expiry ? "used after it expired" : $"used after the site's {lifetime.MaxLifetimeDays}-day limit on token lifetimes";
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" {why}", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.Expired, token, owner);
        }
        if (owner.IsSuspended)
        {
            await log.RecordAsync(token.UserId, SecurityActions.TokenRefused, $"\"{token.Note}\" used while the account is suspended", succeeded: false, token: token, ct: ct);
            return new TokenCheck(TokenCheckResult.OwnerSuspended, token, owner);
        }

        var agent = use.UserAgent is { Length: > 256 } longAgent ? longAgent[..256] : use.UserAgent;
        // At most one write a minute per token, however busy it is.
        if (token.LastUsedAt is not { } last || now - last >= LastUsedResolution)
        {
            // The cached copy remembers the write, so this node does not repeat it within the minute.
            token.LastUsedAt = now;
            await db.Tokens.Where(t => t.Id == token.Id).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.LastUsedAt, now)
                .SetProperty(t => t.LastUsedIp, use.IpAddress)
                .SetProperty(t => t.LastUsedUserAgent, agent), ct);
        }
        return new TokenCheck(TokenCheckResult.Valid, token, owner);
    }

    public Task<List<PersonalAccessToken>> ListAsync(long userId, TokenKind kind, CancellationToken ct) =>
        db.Tokens.AsNoTracking().Include(t => t.Repositories)
            .Where(t => t.UserId == userId && t.Kind == kind)
            .OrderByDescending(t => t.Id)
            .ToListAsync(ct);

    /// <summary>The user's own token, or null (another user's token is as absent as a missing one).</summary>
    public Task<PersonalAccessToken?> FindAsync(long userId, long tokenId, CancellationToken ct) =>
        db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);

    /// <summary>Changes the note and scopes (classic tokens may change scopes, as on GitHub); the secret stays.</summary>
    public async Task<bool> UpdateAsync(long userId, long tokenId, string note, IEnumerable<string> scopes, CancellationToken ct)
    {
        var token = await db.Tokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null)
            return false;
        var before = Describe(token);
        token.Note = note;
        token.Scopes = Tokens.Scopes.Join(Tokens.Scopes.Normalise(scopes));
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenUpdated, $"{before} → {Describe(token)}", token: token, ct: ct);
        return true;
    }

    /// <summary>A new secret with the same note and scopes and a new expiry; the old secret stops working at once.</summary>
    public async Task<string?> RegenerateAsync(long userId, long tokenId, DateTime? expiresAt, CancellationToken ct)
    {
        var token = await db.Tokens.Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null)
            return null;
        var plaintext = TokenFormat.Generate(token.Kind);
        var oldEight = token.LastEight;
        token.Digest = digest.Compute(plaintext);
        token.LastEight = plaintext[^8..];
        token.CreatedAt = clock.GetUtcNow().UtcDateTime;
        token.ExpiresAt = expiresAt;
        token.LastUsedAt = null;
        token.LastUsedIp = null;
        token.LastUsedUserAgent = null;
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenRegenerated, $"{Describe(token)} · replaces …{oldEight}", token: token, ct: ct);
        return plaintext;
    }

    /// <summary>Deletes the user's own token; false when there is no such token of theirs.</summary>
    public async Task<bool> DeleteAsync(long userId, long tokenId, CancellationToken ct)
    {
        var token = await db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null || await db.Tokens.Where(t => t.Id == tokenId && t.UserId == userId).ExecuteDeleteAsync(ct) == 0)
            return false;
        await log.RecordAsync(userId, SecurityActions.TokenDeleted, Describe(token), token: token, ct: ct);
        return true;
    }

    /// <summary>The stored token behind a plaintext, if it exists and has not expired.</summary>
    public async Task<PersonalAccessToken?> FindLiveAsync(string presented, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(presented, out _))
            return null;
        var key = digest.Compute(presented);
        var token = await db.Tokens.AsNoTracking().Include(t => t.User).Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Digest == key, ct);
        return token is not null && (lifetime.EffectiveExpiry(token) is not { } expiry || clock.GetUtcNow().UtcDateTime < expiry) ? token : null;
    }

    /// <summary>Revokes a token that leaked, saying where it was found in its owner's security log.</summary>
    public async Task RevokeLeakedAsync(PersonalAccessToken token, string reason, CancellationToken ct)
    {
        if (await db.Tokens.Where(t => t.Id == token.Id).ExecuteDeleteAsync(ct) == 0)
            return;
        await log.RecordAsync(token.UserId, SecurityActions.TokenRevoked, $"{Describe(token)} · {reason}", succeeded: false, token: token, ct: ct);
        // The owner hears of it by mail too: a leaked token means something to change.
        if (token.User is { Email: { } email } owner)
        {
            try
            {
                await mailer.SendAsync(owner.UserName!, email, $"[Latchkey] Your personal access token \"{token.Note}\" was revoked",
                $"Hi {owner.UserName},\n\nYour {(token.Kind == TokenKind.Classic ? "personal access token (classic)" : "fine-grained personal access token")} \"{token.Note}\" (…{token.LastEight}) was revoked because it was {reason}.\n\n" +
                "It no longer works. Anyone who saw it can no longer use it. If you still need a token, create a new one under\n" +
                "Settings > Developer settings > Personal access tokens, and keep it out of files you commit.\n", ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The revocation stands whatever the mail server does; the security log already says it.
                logger.LogError(e, "Could not mail the owner of revoked token {TokenId}", token.Id);
            }
        }
    }

    /// <summary>Deletes every classic token of the user at the owner's request (the classic list's "Revoke all"); returns how many died.</summary>
    public Task<int> RevokeAllAsync(long userId, CancellationToken ct) => RevokeAllAsync(userId, "by the owner", ct, TokenKind.Classic);

    /// <summary>Deletes the user's tokens (of one kind, or all when <paramref name="kind"/> is null); <paramref name="by"/> says who asked, in the security log.</summary>
    public async Task<int> RevokeAllAsync(long userId, string by, CancellationToken ct, TokenKind? kind = null)
    {
        var doomed = await db.Tokens.AsNoTracking().Include(t => t.Repositories).Where(t => t.UserId == userId && (kind == null || t.Kind == kind)).ToListAsync(ct);
        var count = await db.Tokens.Where(t => t.UserId == userId && (kind == null || t.Kind == kind)).ExecuteDeleteAsync(ct);
        foreach (var token in doomed)
            await log.RecordAsync(userId, SecurityActions.TokenRevoked, $"{Describe(token)} · revoked with all tokens {by}", token: token, ct: ct);
        return count;
    }

    /// <summary>How a token appears in the security log: name, what it may do and expiry, never the secret.</summary>
    private static string Describe(PersonalAccessToken token)
    {
        var what = token.Kind == TokenKind.Classic
            ? $"scopes: {(token.Scopes.Length == 0 ? "none" : token.Scopes)}"
            : $"fine-grained · repositories: {DescribeAccess(token)} · permissions: {token.PermissionSet.Describe()}";
        return $"\"{token.Note}\" · {what} · " +
            (token.ExpiresAt is { } at ? "expires " + at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "no expiration");
    }

    public static string DescribeAccess(PersonalAccessToken token) => token.RepositoryAccess switch
    {
        RepositoryAccess.All => "all",
        RepositoryAccess.Selected => token.Repositories.Count == 1 ? "1 selected" : $"{token.Repositories.Count} selected",
        _ => "public (read-only)",
    };
}
