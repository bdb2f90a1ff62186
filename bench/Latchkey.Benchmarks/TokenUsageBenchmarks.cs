using BenchmarkDotNet.Attributes;
using Latchkey.Accounts;
using Latchkey.Authorization;
using Latchkey.Repositories;
using Latchkey.Tokens;

namespace Latchkey.Benchmarks;

/// <summary>
/// What the least-privilege advisor adds to each token request (issue #18): the decision alone
/// (the reference, measured in the same run) against the decision plus noting what it exercised.
/// A busy token repeats its keys, so the steady state is a set look-up; the first use of a key adds it.
/// </summary>
public class TokenUsageBenchmarks
{
    private readonly Repository _private;
    private readonly Caller _token;
    private readonly RepositoryRequirement _read = new(RepoAction.ReadContents);
    private readonly TokenUsageRecorder _recorder = new(TimeProvider.System);

    public TokenUsageBenchmarks()
    {
        var owner = new User { Id = 1, UserName = "owner" };
        _private = new Repository { Id = 1, OwnerId = 1, Owner = owner, Name = "secret", NormalizedName = "SECRET", IsPrivate = true };
        _token = new Caller(owner, CredentialKind.ClassicToken, Scopes.Split("repo, user"), 1);
    }

    [Benchmark(Baseline = true)]
    public bool Decide() => AccessPolicy.Decide(_token, _read, _private).IsAllowed;

    [Benchmark]
    public bool DecideAndRecord()
    {
        var decision = AccessPolicy.Decide(_token, _read, _private);
        if (decision.IsAllowed)
            _recorder.Record(_token.TokenId!.Value, AccessPolicy.Exercised(_token, _read, _private));
        return decision.IsAllowed;
    }
}
