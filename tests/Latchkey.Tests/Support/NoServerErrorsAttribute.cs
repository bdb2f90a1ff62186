using System.Reflection;
using Xunit.Sdk;

[assembly: Latchkey.Tests.Support.NoServerErrors]

namespace Latchkey.Tests.Support;

/// <summary>
/// After every test, any 5xx answered by a running test server fails the test. (A failure in a class
/// fixture's cleanup would only be reported, not counted, so the check cannot live there.)
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NoServerErrorsAttribute : BeforeAfterTestAttribute
{
    public override void After(MethodInfo methodUnderTest)
    {
        var errors = LatchkeyServer.Live.Keys.SelectMany(server => server.TakeUnreportedErrors()).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException($"The server answered with errors during or around {methodUnderTest.Name}:\n" + string.Join('\n', errors));
    }
}
