using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Tests.Unit;

/// <summary>
/// The authorization table: rights are what the user may do ∩ what the credential allows.
/// Alice (id 1) owns the repository; Bob (id 2) is someone else.
/// </summary>
public sealed class AccessPolicyTests
{
    private static readonly User Alice = new() { Id = 1, UserName = "alice" };
    private static readonly User Bob = new() { Id = 2, UserName = "bob" };

    private const DecisionKind Allow = DecisionKind.Allow;
    private const DecisionKind Challenge = DecisionKind.Challenge;
    private const DecisionKind NotFound = DecisionKind.NotFound;
    private const DecisionKind Forbidden = DecisionKind.Forbidden;

    private static Caller CallerNamed(string name) => name switch
    {
        "anonymous" => Caller.Anonymous,
        "owner session" => Caller.FromSession(Alice),
        "owner token []" => ClassicToken(Alice),
        "owner token [repo]" => ClassicToken(Alice, Scopes.Repo),
        "owner token [public_repo]" => ClassicToken(Alice, Scopes.PublicRepo),
        "owner token [delete_repo]" => ClassicToken(Alice, Scopes.DeleteRepo),
        "owner token [repo, delete_repo]" => ClassicToken(Alice, Scopes.Repo, Scopes.DeleteRepo),
        "owner token [user]" => ClassicToken(Alice, Scopes.User),
        "owner fine-grained token" => new Caller(Alice, CredentialKind.FineGrainedToken, []),
        "owner fine-grained [priv: contents read]" => FineGrained(Alice, RepositoryAccess.Selected, [PrivateId], (FineGrainedPermissions.Contents, PermissionLevel.Read)),
        "owner fine-grained [priv: contents write]" => FineGrained(Alice, RepositoryAccess.Selected, [PrivateId], (FineGrainedPermissions.Contents, PermissionLevel.Write)),
        "owner fine-grained [priv: administration write]" => FineGrained(Alice, RepositoryAccess.Selected, [PrivateId], (FineGrainedPermissions.Administration, PermissionLevel.Write)),
        "owner fine-grained [other repo: everything]" => FineGrained(Alice, RepositoryAccess.Selected, [99], (FineGrainedPermissions.Contents, PermissionLevel.Write), (FineGrainedPermissions.Administration, PermissionLevel.Write)),
        "owner fine-grained [all: contents write]" => FineGrained(Alice, RepositoryAccess.All, [], (FineGrainedPermissions.Contents, PermissionLevel.Write)),
        "owner fine-grained [public]" => FineGrained(Alice, RepositoryAccess.PublicOnly, [], (FineGrainedPermissions.Contents, PermissionLevel.Write)),
        "other fine-grained [all: everything]" => FineGrained(Bob, RepositoryAccess.All, [], (FineGrainedPermissions.Contents, PermissionLevel.Write), (FineGrainedPermissions.Administration, PermissionLevel.Write)),
        "other session" => Caller.FromSession(Bob),
        "other token [repo]" => ClassicToken(Bob, Scopes.Repo),
        "other token [repo, delete_repo]" => ClassicToken(Bob, Scopes.Repo, Scopes.DeleteRepo),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown caller"),
    };

    private static Caller ClassicToken(User user, params string[] scopes) => new(user, CredentialKind.ClassicToken, scopes);

    private const long PrivateId = 11;

    private static Caller FineGrained(User user, RepositoryAccess access, long[] repositories, params (string Key, PermissionLevel Level)[] levels) =>
        new(user, CredentialKind.FineGrainedToken, [], 1,
            new FineGrainedGrant(access, repositories.ToHashSet(), PermissionSet.From(levels.Select(l => KeyValuePair.Create(l.Key, l.Level)))));

    private static Repository RepositoryOf(bool isPrivate) => new()
    {
        Id = isPrivate ? PrivateId : 10,
        OwnerId = Alice.Id,
        Name = isPrivate ? "priv" : "pub",
        NormalizedName = isPrivate ? "PRIV" : "PUB",
        IsPrivate = isPrivate,
    };

    public static TheoryData<string, string, RepoAction, DecisionKind> Table => new()
    {
        // Public repository: anyone reads; only the owner writes or deletes, with the right scope.
        { "pub", "anonymous", RepoAction.Read, Allow },
        { "pub", "anonymous", RepoAction.Write, Challenge },
        { "pub", "anonymous", RepoAction.Delete, Challenge },
        { "pub", "owner session", RepoAction.Read, Allow },
        { "pub", "owner session", RepoAction.Write, Allow },
        { "pub", "owner session", RepoAction.Delete, Allow },
        { "pub", "owner token []", RepoAction.Read, Allow },
        { "pub", "owner token []", RepoAction.Write, Forbidden },
        { "pub", "owner token []", RepoAction.Delete, Forbidden },
        { "pub", "owner token [repo]", RepoAction.Read, Allow },
        { "pub", "owner token [repo]", RepoAction.Write, Allow },
        { "pub", "owner token [repo]", RepoAction.Delete, Forbidden },
        { "pub", "owner token [public_repo]", RepoAction.Read, Allow },
        { "pub", "owner token [public_repo]", RepoAction.Write, Allow },
        { "pub", "owner token [public_repo]", RepoAction.Delete, Forbidden },
        { "pub", "owner token [delete_repo]", RepoAction.Read, Allow },
        { "pub", "owner token [delete_repo]", RepoAction.Write, Forbidden },
        { "pub", "owner token [delete_repo]", RepoAction.Delete, Allow },
        { "pub", "owner token [repo, delete_repo]", RepoAction.Delete, Allow },
        { "pub", "owner token [user]", RepoAction.Read, Allow },
        { "pub", "owner token [user]", RepoAction.Write, Forbidden },
        { "pub", "owner fine-grained token", RepoAction.Read, Allow },
        { "pub", "owner fine-grained token", RepoAction.Write, Forbidden },
        { "pub", "other session", RepoAction.Read, Allow },
        { "pub", "other session", RepoAction.Write, Forbidden },
        { "pub", "other session", RepoAction.Delete, Forbidden },
        { "pub", "other token [repo]", RepoAction.Read, Allow },
        { "pub", "other token [repo]", RepoAction.Write, Forbidden },
        { "pub", "other token [repo]", RepoAction.Delete, Forbidden },
        { "pub", "other token [repo, delete_repo]", RepoAction.Delete, Forbidden },

        // Private repository: invisible (404) to those who may not read it, 401 for anonymous.
        { "priv", "anonymous", RepoAction.Read, Challenge },
        { "priv", "anonymous", RepoAction.Write, Challenge },
        { "priv", "anonymous", RepoAction.Delete, Challenge },
        { "priv", "owner session", RepoAction.Read, Allow },
        { "priv", "owner session", RepoAction.Write, Allow },
        { "priv", "owner session", RepoAction.Delete, Allow },
        { "priv", "owner token []", RepoAction.Read, NotFound },
        { "priv", "owner token []", RepoAction.Write, NotFound },
        { "priv", "owner token []", RepoAction.Delete, NotFound },
        { "priv", "owner token [repo]", RepoAction.Read, Allow },
        { "priv", "owner token [repo]", RepoAction.Write, Allow },
        { "priv", "owner token [repo]", RepoAction.Delete, Forbidden },
        { "priv", "owner token [public_repo]", RepoAction.Read, NotFound },
        { "priv", "owner token [public_repo]", RepoAction.Write, NotFound },
        { "priv", "owner token [public_repo]", RepoAction.Delete, NotFound },
        { "priv", "owner token [delete_repo]", RepoAction.Read, NotFound },
        { "priv", "owner token [delete_repo]", RepoAction.Write, NotFound },
        { "priv", "owner token [delete_repo]", RepoAction.Delete, NotFound },
        { "priv", "owner token [repo, delete_repo]", RepoAction.Delete, Allow },
        { "priv", "owner token [user]", RepoAction.Read, NotFound },
        { "priv", "owner fine-grained token", RepoAction.Read, NotFound },
        { "priv", "other session", RepoAction.Read, NotFound },
        { "priv", "other session", RepoAction.Write, NotFound },
        { "priv", "other session", RepoAction.Delete, NotFound },
        { "priv", "other token [repo]", RepoAction.Read, NotFound },
        { "priv", "other token [repo]", RepoAction.Write, NotFound },
        { "priv", "other token [repo]", RepoAction.Delete, NotFound },
        { "priv", "other token [repo, delete_repo]", RepoAction.Delete, NotFound },

        // Fine-grained tokens: the repository must be reached, then each action needs its permission.
        { "priv", "owner fine-grained token", RepoAction.ReadContents, NotFound },
        { "priv", "owner fine-grained [priv: contents read]", RepoAction.Read, Allow },
        { "priv", "owner fine-grained [priv: contents read]", RepoAction.ReadContents, Allow },
        { "priv", "owner fine-grained [priv: contents read]", RepoAction.Write, Forbidden },
        { "priv", "owner fine-grained [priv: contents write]", RepoAction.Write, Allow },
        { "priv", "owner fine-grained [priv: contents write]", RepoAction.Admin, Forbidden },
        { "priv", "owner fine-grained [priv: contents write]", RepoAction.Delete, Forbidden },
        { "priv", "owner fine-grained [priv: administration write]", RepoAction.Read, Allow },
        { "priv", "owner fine-grained [priv: administration write]", RepoAction.ReadContents, Forbidden },
        { "priv", "owner fine-grained [priv: administration write]", RepoAction.Admin, Allow },
        { "priv", "owner fine-grained [priv: administration write]", RepoAction.Delete, Allow },
        { "priv", "owner fine-grained [other repo: everything]", RepoAction.Read, NotFound },
        { "priv", "owner fine-grained [other repo: everything]", RepoAction.Write, NotFound },
        { "priv", "owner fine-grained [all: contents write]", RepoAction.Write, Allow },
        { "priv", "owner fine-grained [public]", RepoAction.Read, NotFound },
        { "priv", "other fine-grained [all: everything]", RepoAction.Read, NotFound },
        { "pub", "owner fine-grained [other repo: everything]", RepoAction.ReadContents, Allow },
        { "pub", "owner fine-grained [other repo: everything]", RepoAction.Write, Forbidden },
        { "pub", "owner fine-grained [public]", RepoAction.ReadContents, Allow },
        { "pub", "owner fine-grained [public]", RepoAction.Write, Forbidden },
        { "pub", "owner fine-grained [all: contents write]", RepoAction.Write, Allow },
        { "pub", "other fine-grained [all: everything]", RepoAction.ReadContents, Allow },
        { "pub", "other fine-grained [all: everything]", RepoAction.Write, Forbidden },
        { "pub", "other fine-grained [all: everything]", RepoAction.Delete, Forbidden },
    };

    [Theory]
    [InlineData("owner fine-grained [priv: contents read]", RepoAction.Write, "contents=write")]
    [InlineData("owner fine-grained token", RepoAction.Write, "contents=write")]
    [InlineData("owner fine-grained [priv: administration write]", RepoAction.ReadContents, "contents=read")]
    [InlineData("owner fine-grained [priv: contents write]", RepoAction.Delete, "administration=write")]
    public void A_forbidden_fine_grained_token_is_told_which_permission_is_missing(string caller, RepoAction action, string missing)
    {
        var isPrivate = caller != "owner fine-grained token";
        var decision = AccessPolicy.Decide(CallerNamed(caller), action, RepositoryOf(isPrivate));
        Assert.Equal(DecisionKind.Forbidden, decision.Kind);
        Assert.Equal(missing, decision.MissingPermission);
        Assert.Null(decision.MissingScope);
    }

    [Fact]
    public void Another_users_fine_grained_token_is_told_no_permission_since_none_would_help()
    {
        var decision = AccessPolicy.Decide(CallerNamed("other fine-grained [all: everything]"), RepoAction.Write, RepositoryOf(isPrivate: false));
        Assert.Equal(DecisionKind.Forbidden, decision.Kind);
        Assert.Null(decision.MissingPermission);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Decide_follows_the_table(string repo, string caller, RepoAction action, DecisionKind expected)
    {
        var decision = AccessPolicy.Decide(CallerNamed(caller), action, RepositoryOf(repo == "priv"));

        Assert.Equal(expected, decision.Kind);
        Assert.Equal(expected == Allow, decision.IsAllowed);
    }

    [Theory]
    [InlineData(false, "owner session")]
    [InlineData(false, "owner token [repo]")]
    [InlineData(false, "owner token [public_repo]")]
    [InlineData(true, "owner session")]
    [InlineData(true, "owner token [repo]")]
    public void Admin_is_allowed_whenever_write_is(bool isPrivate, string caller)
    {
        Assert.Equal(DecisionKind.Allow, AccessPolicy.Decide(CallerNamed(caller), RepoAction.Admin, RepositoryOf(isPrivate)).Kind);
    }

    [Theory]
    [InlineData(false, "owner token []", DecisionKind.Forbidden)]
    [InlineData(false, "owner token [delete_repo]", DecisionKind.Forbidden)]
    [InlineData(false, "other token [repo]", DecisionKind.Forbidden)]
    [InlineData(false, "anonymous", DecisionKind.Challenge)]
    [InlineData(true, "owner token [public_repo]", DecisionKind.NotFound)]
    [InlineData(true, "other token [repo]", DecisionKind.NotFound)]
    public void Admin_is_refused_whenever_write_is(bool isPrivate, string caller, DecisionKind expected)
    {
        Assert.Equal(expected, AccessPolicy.Decide(CallerNamed(caller), RepoAction.Admin, RepositoryOf(isPrivate)).Kind);
    }

    [Theory]
    [InlineData(false, "owner token []", RepoAction.Write, "public_repo")]
    [InlineData(false, "owner token [delete_repo]", RepoAction.Write, "public_repo")]
    [InlineData(false, "owner token [repo]", RepoAction.Delete, "delete_repo")]
    [InlineData(false, "owner token [public_repo]", RepoAction.Delete, "delete_repo")]
    [InlineData(true, "owner token [repo]", RepoAction.Delete, "delete_repo")]
    public void A_forbidden_owner_is_told_which_scope_is_missing(bool isPrivate, string caller, RepoAction action, string missing)
    {
        var decision = AccessPolicy.Decide(CallerNamed(caller), action, RepositoryOf(isPrivate));

        Assert.Equal(DecisionKind.Forbidden, decision.Kind);
        Assert.Equal(missing, decision.MissingScope);
    }

    [Theory]
    [InlineData("other token [repo]", RepoAction.Write)]
    [InlineData("other token [repo, delete_repo]", RepoAction.Delete)]
    [InlineData("other session", RepoAction.Write)]
    public void Another_user_is_not_told_about_a_scope_since_no_scope_would_help(string caller, RepoAction action)
    {
        var decision = AccessPolicy.Decide(CallerNamed(caller), action, RepositoryOf(isPrivate: false));

        Assert.Equal(DecisionKind.Forbidden, decision.Kind);
        Assert.Null(decision.MissingScope);
    }

    [Fact]
    public void A_caller_built_from_a_stored_classic_token_carries_its_scopes()
    {
        var token = new PersonalAccessToken
        {
            Id = 7,
            UserId = Alice.Id,
            Kind = TokenKind.Classic,
            Note = "ci",
            Digest = new byte[32],
            LastEight = "abcdefgh",
            Scopes = "public_repo, delete_repo",
        };

        var caller = Caller.FromToken(TokenSnapshot.Of(token), Alice);

        Assert.Equal(CredentialKind.ClassicToken, caller.Credential);
        Assert.Equal(7, caller.TokenId);
        Assert.True(caller.IsAuthenticated);
        Assert.Equal(DecisionKind.Allow, AccessPolicy.Decide(caller, RepoAction.Write, RepositoryOf(isPrivate: false)).Kind);
        Assert.Equal(DecisionKind.Allow, AccessPolicy.Decide(caller, RepoAction.Delete, RepositoryOf(isPrivate: false)).Kind);
        Assert.Equal(DecisionKind.NotFound, AccessPolicy.Decide(caller, RepoAction.Read, RepositoryOf(isPrivate: true)).Kind);
    }

    [Fact]
    public void A_caller_built_from_a_stored_fine_grained_token_is_a_fine_grained_credential()
    {
        var token = new PersonalAccessToken
        {
            Kind = TokenKind.FineGrained,
            Note = "fg",
            Digest = new byte[32],
            LastEight = "abcdefgh",
        };

        var caller = Caller.FromToken(TokenSnapshot.Of(token), Alice);

        Assert.Equal(CredentialKind.FineGrainedToken, caller.Credential);
        Assert.Equal(DecisionKind.Forbidden, AccessPolicy.Decide(caller, RepoAction.Write, RepositoryOf(isPrivate: false)).Kind);
    }

    [Fact]
    public void Anonymous_is_not_authenticated_and_a_session_has_every_right_of_its_user()
    {
        Assert.False(Caller.Anonymous.IsAuthenticated);
        Assert.Null(Caller.Anonymous.User);
        var session = Caller.FromSession(Alice);
        Assert.True(session.IsAuthenticated);
        Assert.Equal(CredentialKind.Session, session.Credential);
        Assert.Null(session.TokenId);
    }

    public static TheoryData<string, bool, DecisionKind, string?> Creates => new()
    {
        { "anonymous", false, Challenge, null },
        { "anonymous", true, Challenge, null },
        { "owner session", false, Allow, null },
        { "owner session", true, Allow, null },
        { "owner token [repo]", false, Allow, null },
        { "owner token [repo]", true, Allow, null },
        { "owner token [public_repo]", false, Allow, null },
        { "owner token [public_repo]", true, Forbidden, "repo" },
        { "owner token []", false, Forbidden, "public_repo" },
        { "owner token []", true, Forbidden, "repo" },
        { "owner token [delete_repo]", false, Forbidden, "public_repo" },
        { "owner token [user]", true, Forbidden, "repo" },
        // Fine-grained tokens create with Administration write over all repositories, and are told so.
        { "owner fine-grained token", false, Forbidden, "administration=write" },
        { "owner fine-grained [priv: administration write]", true, Forbidden, "administration=write" },
        { "owner fine-grained [all: contents write]", true, Forbidden, "administration=write" },
    };

    [Theory]
    [MemberData(nameof(Creates))]
    public void DecideCreate_needs_repo_for_private_and_public_repo_for_public(string caller, bool isPrivate, DecisionKind expected, string? missing)
    {
        var decision = AccessPolicy.DecideCreate(CallerNamed(caller), isPrivate);

        Assert.Equal(expected, decision.Kind);
        Assert.Equal(missing, caller.Contains("fine-grained", StringComparison.Ordinal) ? decision.MissingPermission : decision.MissingScope);
    }

    [Fact]
    public void A_fine_grained_token_with_administration_write_over_all_repositories_creates_them()
    {
        var caller = new Caller(Alice, CredentialKind.FineGrainedToken, [], 1,
            new FineGrainedGrant(RepositoryAccess.All, new HashSet<long>(), PermissionSet.From([KeyValuePair.Create(FineGrainedPermissions.Administration, PermissionLevel.Write)])));
        Assert.Equal(DecisionKind.Allow, AccessPolicy.DecideCreate(caller, isPrivate: true).Kind);
    }

    private static readonly User SuspendedAlice = new() { Id = 1, UserName = "alice", SuspendedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
    private static readonly User Admin = new() { Id = 3, UserName = "root", IsSiteAdmin = true };

    private static Caller MoreCallers(string name) => name switch
    {
        "suspended owner session" => Caller.FromSession(SuspendedAlice),
        "suspended owner token [repo]" => ClassicToken(SuspendedAlice, Scopes.Repo),
        "owner token [repo:invite]" => ClassicToken(Alice, Scopes.RepoInvite),
        "admin session" => Caller.FromSession(Admin),
        "admin token [site_admin]" => ClassicToken(Admin, Scopes.SiteAdmin),
        "admin token [repo]" => ClassicToken(Admin, Scopes.Repo),
        "suspended admin session" => Caller.FromSession(new User { Id = 3, UserName = "root", IsSiteAdmin = true, SuspendedAt = SuspendedAlice.SuspendedAt }),
        _ => CallerNamed(name),
    };

    public static TheoryData<string, DecisionKind> Invitations => new()
    {
        { "anonymous", Challenge },
        { "owner session", Allow },
        { "owner token [repo:invite]", Allow },
        { "owner token [repo]", Allow },
        { "owner token []", Forbidden },
        { "owner token [user]", Forbidden },
        { "owner fine-grained [all: contents write]", Forbidden },
        { "owner fine-grained [priv: administration write]", Forbidden },
        { "suspended owner session", Challenge },
    };

    [Theory]
    [MemberData(nameof(Invitations))]
    public void Answering_invitations_needs_a_session_or_repo_invite_and_never_a_fine_grained_token(string caller, DecisionKind expected)
    {
        var decision = AccessPolicy.Decide(MoreCallers(caller), InvitationRequirement.Instance, null);
        Assert.Equal(expected, decision.Kind);
        if (expected == Forbidden && caller.Contains("token [", StringComparison.Ordinal))
            Assert.Equal(Scopes.RepoInvite, decision.MissingScope);
    }

    public static TheoryData<string, string, DecisionKind> VisibilityChanges => new()
    {
        { "pub", "anonymous", Challenge },
        { "pub", "owner session", Allow },
        { "pub", "owner token [repo]", Allow },
        // public_repo administers a public repository, but making it private needs repo.
        { "pub", "owner token [public_repo]", Forbidden },
        { "priv", "owner token [public_repo]", NotFound },
        { "priv", "owner fine-grained [priv: administration write]", Allow },
        { "priv", "owner fine-grained [priv: contents write]", Forbidden },
        { "pub", "other session", Forbidden },
        { "priv", "other session", NotFound },
        { "priv", "suspended owner session", Challenge },
    };

    [Theory]
    [MemberData(nameof(VisibilityChanges))]
    public void Changing_visibility_needs_administration_and_for_a_classic_token_the_repo_scope(string repo, string caller, DecisionKind expected)
    {
        var decision = AccessPolicy.Decide(MoreCallers(caller), VisibilityChangeRequirement.Instance, RepositoryOf(repo == "priv"));
        Assert.Equal(expected, decision.Kind);
        if (caller == "owner token [public_repo]" && repo == "pub")
            Assert.Equal(Scopes.Repo, decision.MissingScope);
    }

    [Theory]
    [InlineData(true, new[] { "site_admin" }, true)]
    [InlineData(false, new[] { "site_admin" }, false)]
    [InlineData(false, new[] { "repo", "site_admin" }, false)]
    [InlineData(false, new[] { "repo", "user" }, true)]
    [InlineData(false, new[] { "gist-like-nonsense" }, false)]
    [InlineData(true, new string[0], true)]
    public void Administrators_only_scopes_are_granted_to_administrators_only(bool isAdmin, string[] scopes, bool allowed)
    {
        var owner = new User { Id = 5, UserName = "someone", IsSiteAdmin = isAdmin };
        var decision = AccessPolicy.DecideScopeGrant(owner, scopes);
        Assert.Equal(allowed, decision.IsAllowed);
        if (!allowed)
            Assert.False(string.IsNullOrEmpty(decision.Message));
    }

    public static TheoryData<string, string, RepoAction, DecisionKind> Suspended => new()
    {
        // A suspended account is anonymous to every rule, whatever credential it still holds.
        { "pub", "suspended owner session", RepoAction.Read, Allow },
        { "pub", "suspended owner session", RepoAction.Write, Challenge },
        { "priv", "suspended owner session", RepoAction.Read, Challenge },
        { "priv", "suspended owner token [repo]", RepoAction.ReadContents, Challenge },
        { "priv", "suspended owner token [repo]", RepoAction.Delete, Challenge },
    };

    [Theory]
    [MemberData(nameof(Suspended))]
    public void A_suspended_account_may_do_what_a_visitor_may(string repo, string caller, RepoAction action, DecisionKind expected) =>
        Assert.Equal(expected, AccessPolicy.Decide(MoreCallers(caller), action, RepositoryOf(repo == "priv")).Kind);

    [Theory]
    [InlineData("admin session", DecisionKind.Allow)]
    [InlineData("admin token [site_admin]", DecisionKind.Allow)]
    [InlineData("admin token [repo]", DecisionKind.Forbidden)]
    [InlineData("owner session", DecisionKind.NotFound)]
    [InlineData("suspended admin session", DecisionKind.Challenge)]
    [InlineData("anonymous", DecisionKind.Challenge)]
    public void Site_administration_is_for_unsuspended_administrators_with_site_admin(string caller, DecisionKind expected) =>
        Assert.Equal(expected, AccessPolicy.Decide(MoreCallers(caller), SiteAdminRequirement.Instance, null).Kind);

    [Theory]
    [InlineData("owner token []", DecisionKind.Allow)]
    [InlineData("owner fine-grained token", DecisionKind.Allow)]
    [InlineData("owner session", DecisionKind.Challenge)]
    [InlineData("anonymous", DecisionKind.Challenge)]
    [InlineData("suspended owner token [repo]", DecisionKind.Challenge)]
    public void Endpoints_about_the_calling_token_need_a_token(string caller, DecisionKind expected) =>
        Assert.Equal(expected, AccessPolicy.Decide(MoreCallers(caller), TokenCallerRequirement.Instance, null).Kind);

    [Theory]
    [InlineData("owner token []", DecisionKind.NotFound)]
    [InlineData("owner token [user]", DecisionKind.Allow)]
    [InlineData("owner session", DecisionKind.Allow)]
    [InlineData("owner fine-grained token", DecisionKind.Forbidden)]
    public void A_classic_token_without_user_email_is_not_shown_the_emails(string caller, DecisionKind expected)
    {
        // As GitHub: without the scope the emails are not there (404); user, the parent scope, reads them.
        var emails = new AccountRequirement(Scopes.UserEmail, FineGrainedPermissions.EmailAddresses, PermissionLevel.Read, HiddenWithoutScope: true);
        Assert.Equal(expected, AccessPolicy.Decide(MoreCallers(caller), emails, null).Kind);
    }

    public static TheoryData<string> EveryCaller => new(
        "anonymous", "owner session", "owner token []", "owner token [repo]", "owner token [public_repo]", "owner token [user]",
        "owner fine-grained token", "owner fine-grained [priv: contents read]", "owner fine-grained [other repo: everything]",
        "owner fine-grained [all: contents write]", "owner fine-grained [public]", "other fine-grained [all: everything]",
        "other session", "other token [repo]", "suspended owner session", "suspended owner token [repo]");

    [Theory]
    [MemberData(nameof(EveryCaller))]
    public void The_list_filter_agrees_with_the_decision_table(string caller)
    {
        var who = MoreCallers(caller);
        var filter = AccessPolicy.ReadableBy(who).Compile();
        var shared = new Repository { Id = 12, OwnerId = 9, Name = "shared", NormalizedName = "SHARED", IsPrivate = true };
        shared.Collaborators.Add(new Collaborator { RepositoryId = 12, UserId = Alice.Id, Permission = CollaboratorRole.Pull });
        foreach (var repo in new[] { RepositoryOf(false), RepositoryOf(true), shared, new Repository { Id = 13, OwnerId = 9, Name = "other", NormalizedName = "OTHER", IsPrivate = true } })
            Assert.Equal(AccessPolicy.Decide(who, RepoAction.Read, repo).IsAllowed, filter(repo));
    }

    [Theory]
    [MemberData(nameof(EveryCaller))]
    public void A_missing_repository_is_answered_as_a_private_one_the_caller_may_not_read(string caller)
    {
        var who = MoreCallers(caller);
        // Someone else's private repository (owner 9), with no collaborator.
        var hidden = new Repository { Id = 14, OwnerId = 9, Name = "hidden", NormalizedName = "HIDDEN", IsPrivate = true };
        foreach (var action in Enum.GetValues<RepoAction>())
        {
            var requirement = new RepositoryRequirement(action);
            Assert.Equal(AccessPolicy.Decide(who, requirement, hidden), AccessPolicy.Decide(who, requirement, null));
            Assert.Equal(AccessPolicy.DecideMissing(who), AccessPolicy.Decide(who, requirement, null));
        }
    }

    [Theory]
    [MemberData(nameof(EveryCaller))]
    public void What_is_decided_before_the_lookup_is_what_the_lookup_would_decide_for_any_repository(string caller)
    {
        var who = MoreCallers(caller);
        var anonymous = !who.IsAuthenticated || who.User!.IsSuspended;
        foreach (var action in Enum.GetValues<RepoAction>())
        {
            var requirement = new RepositoryRequirement(action);
            var early = AccessPolicy.DecideBeforeLookup(who, requirement);
            var writes = action is RepoAction.Write or RepoAction.Admin or RepoAction.Delete;
            // Only an anonymous write is answered without the repository, and then with a challenge (401).
            Assert.Equal(anonymous && writes ? Decision.Challenge : null, early);
            if (early is null)
                continue;
            foreach (var repo in new[] { RepositoryOf(false), RepositoryOf(true), null })
                Assert.Equal(early, AccessPolicy.Decide(who, requirement, repo));
        }
    }
}
