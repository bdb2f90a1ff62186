using BenchmarkDotNet.Attributes;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Benchmarks;

/// <summary>The one authorization decision, for the callers git and the API see most.</summary>
public class AccessPolicyBenchmarks
{
    private readonly Repository _private;
    private readonly Repository _public;
    private readonly Caller _ownerToken;
    private readonly Caller _collaboratorToken;
    private readonly Caller _strangerToken;

    public AccessPolicyBenchmarks()
    {
        var owner = new User { Id = 1, UserName = "owner" };
        var collaborator = new User { Id = 2, UserName = "collaborator" };
        var stranger = new User { Id = 3, UserName = "stranger" };
        _private = new Repository { Id = 1, OwnerId = 1, Owner = owner, Name = "secret", NormalizedName = "SECRET", IsPrivate = true };
        _private.Collaborators.Add(new Collaborator { RepositoryId = 1, UserId = 2, Permission = CollaboratorRole.Push });
        _public = new Repository { Id = 2, OwnerId = 1, Owner = owner, Name = "open", NormalizedName = "OPEN" };
        _ownerToken = new Caller(owner, CredentialKind.ClassicToken, Scopes.Split("repo, user"), 1);
        _collaboratorToken = new Caller(collaborator, CredentialKind.ClassicToken, Scopes.Split("repo"), 2);
        _strangerToken = new Caller(stranger, CredentialKind.ClassicToken, Scopes.Split("public_repo"), 3);
    }

    [Benchmark]
    public Decision OwnerPushesToPrivate() => AccessPolicy.Decide(_ownerToken, RepoAction.Write, _private);

    [Benchmark]
    public Decision CollaboratorClonesPrivate() => AccessPolicy.Decide(_collaboratorToken, RepoAction.Read, _private);

    [Benchmark]
    public Decision StrangerClonesPrivate() => AccessPolicy.Decide(_strangerToken, RepoAction.Read, _private);

    [Benchmark]
    public Decision AnonymousClonesPublic() => AccessPolicy.Decide(Caller.Anonymous, RepoAction.Read, _public);
}
