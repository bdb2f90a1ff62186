namespace Latchkey.Tests.Support;

/// <summary>The checkout the tests were built from: README, deploy/, docs/.</summary>
public static class SourceTree
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Latchkey.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (Latchkey.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
