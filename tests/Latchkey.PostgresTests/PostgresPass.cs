using Latchkey.Tests.Support;

// Every test of this project resolves [Fact] and [Theory] to these, which skip with a printed reason
// when no PostgreSQL server is configured outside CI. Under LATCHKEY_REQUIRE_ALL=1 they never skip,
// and a missing server fails every test that starts one.
namespace Latchkey.Tests;

public sealed class FactAttribute : Xunit.FactAttribute
{
    public FactAttribute()
    {
        if (TestDatabase.SkipReason is { } reason)
            Skip = reason;
    }
}

public sealed class TheoryAttribute : Xunit.TheoryAttribute
{
    public TheoryAttribute()
    {
        if (TestDatabase.SkipReason is { } reason)
            Skip = reason;
    }
}
