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

    // Server errors are caught after each test by NoServerErrorsAttribute.
    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
