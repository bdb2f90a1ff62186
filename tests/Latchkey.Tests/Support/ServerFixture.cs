namespace Latchkey.Tests.Support;

/// <summary>One server (and data directory) per test class; tests inside make their own users.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private LatchkeyServer? _server;
    private int _counter;

    public LatchkeyServer Server => _server ?? throw new InvalidOperationException("Server not started.");

    /// <summary>A username no other test in this class uses.</summary>
    public string NewUsername(string stem) => $"{stem}{Interlocked.Increment(ref _counter)}";

    public async Task InitializeAsync() => _server = await LatchkeyServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            var errors = _server.FiveHundreds;
            await _server.DisposeAsync();
            // No request in any test may end in a server error.
            Assert.True(errors.Count == 0, "Server errors:\n" + string.Join('\n', errors));
        }
    }
}
