namespace Latchkey.Repositories;

/// <summary>
/// Objects the server writes itself (the contents API) go where a push's objects go: into a
/// quarantine beside the repository's objects, checked by git's own fsck (with its
/// <c>.gitmodules</c> rules, as <c>receive.fsckObjects</c> checks a push) and only then admitted.
/// A refused or abandoned write leaves nothing in the repository; a folder left by a killed
/// process is named as git names its own push quarantines, so the start-up sweep removes both.
/// </summary>
public sealed class ObjectQuarantine : IDisposable
{
    private readonly string _repositoryPath;
    private readonly string _objects;

    public ObjectQuarantine(string repositoryPath)
    {
        _repositoryPath = repositoryPath;
        _objects = Path.Combine(repositoryPath, "objects");
        Folder = Path.Combine(_objects, "tmp_objdir-incoming-latchkey-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>Sets git's environment so new objects land in the quarantine and existing ones are still read.</summary>
    public void Apply(IDictionary<string, string> environment)
    {
        environment["GIT_OBJECT_DIRECTORY"] = Folder;
        environment["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = _objects;
    }

    /// <summary>
    /// Checks every quarantined object with <c>git index-pack --strict</c> (what receive-pack runs
    /// with <c>receive.fsckObjects</c>), then moves them into the repository, as git migrates a
    /// push's quarantine; null when admitted, else git's own words for what is wrong, and nothing is admitted.
    /// </summary>
    public async Task<string?> AdmitAsync(CancellationToken ct)
    {
        var only = new Dictionary<string, string> { ["GIT_OBJECT_DIRECTORY"] = Folder };
        var listed = await GitCommand.RunAsync(_repositoryPath, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"], ct, environment: only);
        if (!listed.Succeeded)
            throw new InvalidOperationException($"git cat-file failed: {listed.Error.Trim()}");
        if (listed.Output.Length == 0)
            return null;
        var both = new Dictionary<string, string>();
        Apply(both);
        var pack = await GitCommand.RunAsync(_repositoryPath, ["pack-objects", "--stdout", "--quiet"], ct, listed.Output, both, maxOutputBytes: 1L << 30);
        if (!pack.Succeeded)
            throw new InvalidOperationException($"git pack-objects failed: {pack.Error.Trim()}");
        // The checked pack lands inside the quarantine (and goes with it); only the loose objects move.
        var check = await GitCommand.RunAsync(_repositoryPath, ["index-pack", "--strict", "--stdin"], ct, pack.Output, both);
        if (!check.Succeeded)
        {
            var problems = check.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => line.StartsWith("error", StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            return problems.Count > 0 ? string.Join("\n", problems) : check.Error.Trim();
        }
        Migrate();
        return null;
    }

    /// <summary>Moves the loose objects into the repository's object directory; an object already there stays (objects are immutable).</summary>
    private void Migrate()
    {
        foreach (var fanout in Directory.EnumerateDirectories(Folder))
        {
            var name = Path.GetFileName(fanout);
            if (name.Length != 2)
                continue;
            var target = Path.Combine(_objects, name);
            Directory.CreateDirectory(target);
            foreach (var file in Directory.EnumerateFiles(fanout))
            {
                var destination = Path.Combine(target, Path.GetFileName(file));
                try
                {
                    if (!File.Exists(destination))
                        File.Move(file, destination);
                }
                catch (IOException) when (File.Exists(destination))
                {
                    // A concurrent write brought the same object: it is the same bytes.
                }
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
