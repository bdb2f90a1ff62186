using System.Globalization;
using Latchkey.Accounts;
using Latchkey.Data;
using Latchkey.SecurityLog;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tokens;

/// <summary>What the fine-grained token form asks for (expiry aside, which only creation and regeneration set).</summary>
public sealed record FineGrainedRequest(string Name, string? Description, RepositoryAccess Access, IReadOnlyCollection<long> RepositoryIds, PermissionSet Permissions);

/// <summary>Token limits (section "Tokens").</summary>
public sealed class TokenOptions
{
    /// <summary>Fine-grained tokens one user may hold (GitHub's limit is 50).</summary>
    public int MaxFineGrainedPerUser { get; set; } = 50;

    /// <summary>Repositories one fine-grained token may select.</summary>
    public int MaxSelectedRepositories { get; set; } = 50;

    /// <summary>Tokens:MaxLifetimeDays is read by <see cref="TokenLifetimePolicy"/>, which checks it as the server is built.</summary>
    public int? MaxLifetimeDays { get; set; }

    public sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<TokenOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, TokenOptions options) => Hosting.OptionRules.Check(
            Hosting.OptionRules.AtLeast("Tokens:MaxFineGrainedPerUser", options.MaxFineGrainedPerUser, 1),
            Hosting.OptionRules.AtLeast("Tokens:MaxSelectedRepositories", options.MaxSelectedRepositories, 1));
    }
}

/// <summary>
/// Issues, changes, regenerates and deletes personal access tokens of both kinds, with the rules
/// for each inside (whichever door asks: a page, the command line); every change is in the security
/// log. Verification is <see cref="TokenVerifier"/>'s, leaks are <see cref="LeakedTokens"/>'.
/// </summary>
public sealed class TokenIssuer(LatchkeyDb db, TokenDigest digest, TimeProvider clock, SecurityLogWriter log,
    Microsoft.Extensions.Options.IOptions<TokenOptions> options, TokenPolicies policies, TokenLifetimePolicy lifetime)
{
    /// <summary>How long after its creation a new secret may still be shown (once) on the list page.</summary>
    public static readonly TimeSpan HandoverWindow = TimeSpan.FromMinutes(10);

    /// <summary>Creates a token; the returned plaintext must be shown once and then forgotten.</summary>
    /// <remarks>Administrators-only scopes are refused for anyone else, whichever door asks (<see cref="Authorization.AccessPolicy.DecideScopeGrant"/>).</remarks>
    public async Task<(PersonalAccessToken? Token, string? Plaintext, string? Error)> CreateClassicAsync(
        User owner, string note, IEnumerable<string> scopes, DateTime? expiresAt, CancellationToken ct, IReadOnlyCollection<System.Net.IPNetwork>? allowedNetworks = null)
    {
        var userId = owner.Id;
        scopes = scopes.ToList();
        if (Authorization.AccessPolicy.DecideScopeGrant(owner, scopes) is { IsAllowed: false } refused)
            return (null, null, refused.Message);
        if (await PolicyRefusalAsync(TokenKind.Classic, expiresAt, ct) is { } policyRefusal)
            return (null, null, policyRefusal);
        var plaintext = TokenFormat.Generate(TokenKind.Classic);
        var token = new PersonalAccessToken
        {
            UserId = userId,
            Kind = TokenKind.Classic,
            Note = note,
            Digest = digest.Compute(plaintext),
            LastEight = plaintext[^8..],
            HashedToken = TokenFormat.Hashed(plaintext),
            Scopes = Tokens.Scopes.Join(Tokens.Scopes.Normalise(scopes)),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            SecretHandoverUntil = clock.GetUtcNow().UtcDateTime + HandoverWindow,
            ExpiresAt = expiresAt,
            AllowedNetworks = allowedNetworks is null ? null : AllowedNetworks.Store(allowedNetworks),
        };
        db.Tokens.Add(token);
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenCreated, Describe(token), token: token, ct: ct);
        return (token, plaintext, null);
    }

    /// <summary>Creates a fine-grained token, or says which input is wrong (as the form shows it).</summary>
    public async Task<(PersonalAccessToken? Token, string? Plaintext, string? Error)> CreateFineGrainedAsync(
        long userId, FineGrainedRequest request, DateTime expiresAt, CancellationToken ct, IReadOnlyCollection<System.Net.IPNetwork>? allowedNetworks = null)
    {
        var limit = options.Value.MaxFineGrainedPerUser;
        if (await db.Tokens.CountAsync(t => t.UserId == userId && t.Kind == TokenKind.FineGrained && !t.IsCanary, ct) >= limit)
            return (null, null, $"You have reached the limit of {limit} fine-grained personal access tokens. Delete one you no longer use first.");
        if (expiresAt <= clock.GetUtcNow().UtcDateTime)
            return (null, null, "The expiration must be in the future.");
        if (await PolicyRefusalAsync(TokenKind.FineGrained, expiresAt, ct) is { } policyRefusal)
            return (null, null, policyRefusal);
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
            HashedToken = TokenFormat.Hashed(plaintext),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            SecretHandoverUntil = clock.GetUtcNow().UtcDateTime + HandoverWindow,
            ExpiresAt = expiresAt,
            AllowedNetworks = allowedNetworks is null ? null : AllowedNetworks.Store(allowedNetworks),
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
        if (await db.Tokens.AnyAsync(t => t.UserId == userId && t.Kind == TokenKind.FineGrained && t.Note == name && t.Id != tokenId && t.RotatedAt == null, ct))
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

    public Task<List<PersonalAccessToken>> ListAsync(long userId, TokenKind kind, CancellationToken ct) =>
        db.Tokens.AsNoTracking().Include(t => t.Repositories)
            .Where(t => t.UserId == userId && t.Kind == kind && !t.IsCanary)
            .OrderByDescending(t => t.Id)
            .ToListAsync(ct);

    /// <summary>The user's own token, or null (another user's token, or a canary, is as absent as a missing one).</summary>
    public Task<PersonalAccessToken?> FindAsync(long userId, long tokenId, CancellationToken ct) =>
        db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId && !t.IsCanary, ct);

    /// <summary>Changes the note and scopes (classic tokens may change scopes, as on GitHub); the secret stays. Null when done, else why not.</summary>
    public async Task<string?> UpdateAsync(User owner, long tokenId, string note, IEnumerable<string> scopes, CancellationToken ct)
    {
        var userId = owner.Id;
        scopes = scopes.ToList();
        if (Authorization.AccessPolicy.DecideScopeGrant(owner, scopes) is { IsAllowed: false } refused)
            return refused.Message;
        var token = await db.Tokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null)
            return "That token does not exist.";
        var before = Describe(token);
        token.Note = note;
        token.Scopes = Tokens.Scopes.Join(Tokens.Scopes.Normalise(scopes));
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenUpdated, $"{before} → {Describe(token)}", token: token, ct: ct);
        return null;
    }

    /// <summary>
    /// The site's token policy, as it stands now on every node: a kind it disables, or a lifetime past
    /// its kind's maximum, is refused whichever form or call asks (null: allowed).
    /// </summary>
    private async Task<string?> PolicyRefusalAsync(TokenKind kind, DateTime? expiresAt, CancellationToken ct)
    {
        var policy = await policies.CurrentAsync(ct);
        if (kind == TokenKind.Classic && !policy.ClassicAllowed)
            return TokenPolicy.ClassicDisabledMessage;
        return lifetime.For(kind).Check(expiresAt, clock.GetUtcNow().UtcDateTime, out var error) ? null : error;
    }

    /// <summary>A new secret with the same note and scopes and a new expiry; the old secret stops working at once. Null plaintext and error: no such token.</summary>
    public async Task<(string? Plaintext, string? Error)> RegenerateAsync(long userId, long tokenId, DateTime? expiresAt, CancellationToken ct)
    {
        var token = await db.Tokens.Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null)
            return (null, null);
        if (await PolicyRefusalAsync(token.Kind, expiresAt, ct) is { } policyRefusal)
            return (null, policyRefusal);
        var plaintext = TokenFormat.Generate(token.Kind);
        var oldEight = token.LastEight;
        token.Digest = digest.Compute(plaintext);
        token.LastEight = plaintext[^8..];
        token.HashedToken = TokenFormat.Hashed(plaintext);
        token.CreatedAt = clock.GetUtcNow().UtcDateTime;
        token.SecretHandoverUntil = token.CreatedAt + HandoverWindow;
        token.ExpiresAt = expiresAt;
        token.LastUsedAt = null;
        token.LastUsedIp = null;
        token.LastUsedUserAgent = null;
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(userId, SecurityActions.TokenRegenerated, $"{Describe(token)} · replaces …{oldEight}", token: token, ct: ct);
        return (plaintext, null);
    }

    /// <summary>
    /// A token limiting itself to networks (PATCH /user/token): allowed when it had none, or when
    /// every new network lies inside its list; anything wider, or an empty list, is refused with why.
    /// Null token and error: no such token.
    /// </summary>
    public async Task<(PersonalAccessToken? Token, string? Error)> NarrowNetworksAsync(long userId, long tokenId, IReadOnlyCollection<System.Net.IPNetwork> networks, CancellationToken ct)
    {
        var token = await db.Tokens.Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null)
            return (null, null);
        if (networks.Count == 0)
            return (null, "A token cannot clear its own allowed networks: its owner can, on the token's settings page.");
        if (AllowedNetworks.Stored(token.AllowedNetworks) is { } current && !AllowedNetworks.IsWithin(networks, current))
            return (null, "A token can only narrow its allowed networks; widening them needs its owner, on the token's settings page.");
        return (await SetNetworksAsync(token, networks, ct), null);
    }

    /// <summary>The owner sets a token's allowed networks on its page (sudo mode): any list, wider or empty included. False: no such token.</summary>
    public async Task<bool> SetNetworksAsync(long userId, long tokenId, IReadOnlyCollection<System.Net.IPNetwork> networks, CancellationToken ct)
    {
        var token = await db.Tokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null)
            return false;
        await SetNetworksAsync(token, networks, ct);
        return true;
    }

    /// <summary>Sets a token's allowed networks (any list: the owner in sudo mode, or a narrowing already checked) and logs it.</summary>
    public async Task<PersonalAccessToken> SetNetworksAsync(PersonalAccessToken token, IReadOnlyCollection<System.Net.IPNetwork> networks, CancellationToken ct)
    {
        var before = AllowedNetworks.Lines(token.AllowedNetworks);
        token.AllowedNetworks = AllowedNetworks.Store(networks);
        var after = AllowedNetworks.Lines(token.AllowedNetworks);
        if (before.SequenceEqual(after))
            return token;
        await db.SaveChangesAsync(ct);
        await log.RecordAsync(token.UserId, SecurityActions.TokenUpdated,
            $"\"{token.Note}\" allowed networks: {(after.Count == 0 ? "anywhere" : string.Join(", ", after))} (was {(before.Count == 0 ? "anywhere" : string.Join(", ", before))})", token: token, ct: ct);
        return token;
    }

    /// <summary>The longest overlap a rotation may give the old secret (a day).</summary>
    public const int MaxRotationOverlapSeconds = 86400;

    /// <summary>
    /// A token replacing itself: a new token with the same name, scopes or permissions, repositories
    /// and lifetime length (counted from now), and the old one working for <paramref name="overlap"/>
    /// more (zero: deleted at once). One statement marks the old token rotated, so of two rotations at
    /// once one wins and the other gets null (the old token is never rotated twice).
    /// </summary>
    public async Task<(PersonalAccessToken Token, string Plaintext)?> RotateAsync(long userId, long tokenId, TimeSpan overlap, CancellationToken ct) =>
        await RotateAsync(userId, tokenId, overlap, fromWeb: false, expiresAt: null, ct);

    /// <summary>
    /// The web's Regenerate with an overlap: as <see cref="RotateAsync(long, long, TimeSpan, CancellationToken)"/>,
    /// with the expiry chosen on the form (checked against the site's policy). Error: refused by the
    /// policy, or the token was already replaced; null token and error: no such token.
    /// </summary>
    public async Task<(PersonalAccessToken? Token, string? Plaintext, string? Error)> RegenerateWithOverlapAsync(
        long userId, long tokenId, DateTime? expiresAt, TimeSpan overlap, CancellationToken ct)
    {
        var kind = await db.Tokens.Where(t => t.Id == tokenId && t.UserId == userId && !t.IsCanary).Select(t => (TokenKind?)t.Kind).SingleOrDefaultAsync(ct);
        if (kind is null)
            return (null, null, null);
        if (await PolicyRefusalAsync(kind.Value, expiresAt, ct) is { } policyRefusal)
            return (null, null, policyRefusal);
        return await RotateAsync(userId, tokenId, overlap, fromWeb: true, expiresAt, ct) is { } rotated
            ? (rotated.Token, rotated.Plaintext, null)
            : (null, null, "This token was already replaced: its replacement is on the list.");
    }

    /// <param name="fromWeb">The web's Regenerate: the form's expiry, and the secret shown once on the list page (the API answers it in its response instead).</param>
    private async Task<(PersonalAccessToken Token, string Plaintext)?> RotateAsync(long userId, long tokenId, TimeSpan overlap, bool fromWeb, DateTime? expiresAt, CancellationToken ct)
    {
        var old = await db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId && t.RotatedAt == null, ct);
        if (old is null)
            return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var plaintext = TokenFormat.Generate(old.Kind);
        var token = new PersonalAccessToken
        {
            UserId = userId,
            Kind = old.Kind,
            Note = old.Note,
            Description = old.Description,
            Digest = digest.Compute(plaintext),
            LastEight = plaintext[^8..],
            HashedToken = TokenFormat.Hashed(plaintext),
            Scopes = old.Scopes,
            Permissions = old.Permissions,
            RepositoryAccess = old.RepositoryAccess,
            Repositories = old.Repositories.Select(r => new TokenRepository { RepositoryId = r.RepositoryId }).ToList(),
            AllowedNetworks = old.AllowedNetworks,
            CreatedAt = now,
            ExpiresAt = fromWeb ? expiresAt : old.ExpiresAt is { } expires ? now + (expires - old.CreatedAt) : null,
            SecretHandoverUntil = fromWeb ? now + HandoverWindow : null,
        };
        var until = now + overlap;
        var oldUntil = old.ExpiresAt is { } current && current < until ? current : until;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The winner's mark: a second rotation of the same token finds it rotated and changes nothing.
        var marked = await db.Tokens.Where(t => t.Id == tokenId && t.UserId == userId && t.RotatedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RotatedAt, now).SetProperty(t => t.ExpiresAt, oldUntil), ct);
        if (marked == 0)
            return null;
        if (overlap == TimeSpan.Zero)
            await db.Tokens.Where(t => t.Id == tokenId).ExecuteRevokeAsync(now, ct);
        else
            // A cached copy of the old token must learn that it is rotated (its uses are logged in the overlap).
            await db.CredentialEpochs.Where(e => e.Id == 1).ExecuteUpdateAsync(set => set.SetProperty(e => e.Value, e => e.Value + 1), ct);
        db.Tokens.Add(token);
        await db.SaveChangesAsync(ct);
        var detail = $"{Describe(token)} · replaces …{old.LastEight}, " +
            (overlap == TimeSpan.Zero ? "which stopped working at once" : $"which works until {oldUntil:yyyy-MM-dd HH:mm:ss} UTC");
        log.Stage(userId, SecurityActions.TokenRotated, detail, token: token);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return (token, plaintext);
    }

    /// <summary>
    /// The one showing of a new secret: true once, for the secret the token was last given, within
    /// <see cref="HandoverWindow"/> of its creation; false for every replay of the page's flash
    /// cookie after that, in this session or any other. One statement, so two racing views cannot both win.
    /// </summary>
    public async Task<bool> ClaimHandoverAsync(long userId, long tokenId, string plaintext, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(plaintext, out _))
            return false;
        var presented = digest.Compute(plaintext);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Tokens
            .Where(t => t.Id == tokenId && t.UserId == userId && t.Digest == presented && t.SecretHandoverUntil > now)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.SecretHandoverUntil, (DateTime?)null), ct) == 1;
    }

    /// <summary>Deletes the user's own token; false when there is no such token of theirs.</summary>
    public async Task<bool> DeleteAsync(long userId, long tokenId, CancellationToken ct)
    {
        var token = await db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null || await db.Tokens.Where(t => t.Id == tokenId && t.UserId == userId).ExecuteRevokeAsync(clock.GetUtcNow().UtcDateTime, ct) == 0)
            return false;
        await log.RecordAsync(userId, SecurityActions.TokenDeleted, Describe(token), token: token, ct: ct);
        return true;
    }

    /// <summary>
    /// Revokes the user's own token for <paramref name="reason"/> (the link in a new-network mail):
    /// deleted as its page's delete does, logged as a revocation; false when there is no such token.
    /// </summary>
    public async Task<bool> RevokeAsync(long userId, long tokenId, string reason, CancellationToken ct)
    {
        var token = await db.Tokens.AsNoTracking().Include(t => t.Repositories).SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId && !t.IsCanary, ct);
        if (token is null || await db.Tokens.Where(t => t.Id == tokenId && t.UserId == userId).ExecuteRevokeAsync(clock.GetUtcNow().UtcDateTime, ct) == 0)
            return false;
        await log.RecordAsync(userId, SecurityActions.TokenRevoked, $"{Describe(token)} · {reason}", token: token, ct: ct);
        return true;
    }

    /// <summary>Deletes every classic token of the user at the owner's request (the classic list's "Revoke all"); returns how many died.</summary>
    public Task<int> RevokeAllAsync(long userId, CancellationToken ct) => RevokeAllAsync(userId, "by the owner", ct, TokenKind.Classic);

    /// <summary>Deletes the user's tokens (of one kind, or all when <paramref name="kind"/> is null); <paramref name="by"/> says who asked, in the security log.</summary>
    public async Task<int> RevokeAllAsync(long userId, string by, CancellationToken ct, TokenKind? kind = null)
    {
        // A list's "Revoke all" leaves the canaries, which are not on it.
        var doomed = await db.Tokens.AsNoTracking().Include(t => t.Repositories).Where(t => t.UserId == userId && (kind == null || (t.Kind == kind && !t.IsCanary))).ToListAsync(ct);
        var count = await db.Tokens.Where(t => t.UserId == userId && (kind == null || (t.Kind == kind && !t.IsCanary))).ExecuteRevokeAsync(clock.GetUtcNow().UtcDateTime, ct);
        foreach (var token in doomed)
            await log.RecordAsync(userId, SecurityActions.TokenRevoked, $"{Describe(token)} · revoked with all tokens {by}", token: token, ct: ct);
        return count;
    }

    /// <summary>
    /// A site administrator's bulk revocation: the tokens among <paramref name="ids"/> that exist are
    /// deleted and logged in each owner's security log, in one transaction. Returns what was revoked
    /// (with owners, for the mail).
    /// </summary>
    public async Task<List<PersonalAccessToken>> RevokeManyAsync(IReadOnlyCollection<long> ids, User administrator, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var doomed = await db.Tokens.AsNoTracking().Include(t => t.User).Include(t => t.Repositories)
            .Where(t => ids.Contains(t.Id)).AsSplitQuery().ToListAsync(ct);
        var revoked = doomed.Select(t => t.Id).ToList();
        await db.Tokens.Where(t => revoked.Contains(t.Id)).ExecuteRevokeAsync(clock.GetUtcNow().UtcDateTime, ct);
        foreach (var token in doomed)
            log.Stage(token.UserId, SecurityActions.TokenRevoked, $"{Describe(token)} · revoked by site administrator {administrator.UserName}", token: token, actor: administrator);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return doomed;
    }

    /// <summary>How a token appears in the security log: name, what it may do and expiry, never the secret.</summary>
    public static string Describe(PersonalAccessToken token)
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
