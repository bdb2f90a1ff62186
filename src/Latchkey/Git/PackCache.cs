using System.Diagnostics;
using System.Globalization;
using Latchkey.Hosting;
using Latchkey.Observability;
using Latchkey.Repositories;
using Microsoft.Extensions.Options;

namespace Latchkey.Git;

/// <summary>
/// One pack for many identical fetches (the idea of Gitaly's pack-objects cache), for the fetches
/// <see cref="FetchResponseCache"/> does not answer whole (protocol v0 and v1, negotiations, large
/// requests): git's pack is generated once and streamed to all of them.
/// <c>git upload-pack</c> runs <c>Git/pack-cache.sh</c> as its <c>uploadpack.packObjectsHook</c>, set
/// on git's command line (<c>GIT_CONFIG_*</c>), where git accepts it; a repository's own config
/// cannot. The script keys each pack by the repository, its ref state, pack-objects' arguments and
/// the exact wants and haves, so a pack is never served across a ref change or to another
/// repository's readers (who is allowed to fetch is decided before git runs, per repository).
/// Packs are kept <see cref="GitOptions.PackCacheSeconds"/> under <c>DATA/pack-cache/HOST</c>: per
/// host, because readers follow a pack being written by watching its writer's process.
/// </summary>
public sealed class PackCache(DataDirectory data, IOptions<GitOptions> options, LatchkeyMetrics metrics)
{
    private static readonly Lazy<string> Script = new(() =>
    {
        using var stream = typeof(PackCache).Assembly.GetManifestResourceStream("Latchkey.Git.pack-cache.sh")
            ?? throw new InvalidOperationException("The pack cache script is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    // PublicationOnly: an install that failed (a full disk) is tried again by the next fetch, not remembered.
    private readonly Lazy<string> _hook = new(() => Install(Folder(data)), LazyThreadSafetyMode.PublicationOnly);

    public const string HookName = "pack-cache.sh";

    /// <summary>This host's cache folder.</summary>
    public static string Folder(DataDirectory data) => Path.Combine(data.PackCache, Environment.MachineName);

    /// <summary>
    /// Makes the upload-pack that <paramref name="info"/> starts use the cache (unless it is off).
    /// Returns the file where the hook writes how it answered (hit, follow, miss), for <see cref="Collect"/>.
    /// </summary>
    public string? Attach(ProcessStartInfo info)
    {
        var seconds = options.Value.PackCacheSeconds;
        if (seconds == 0)
            return null;
        string hook;
        try
        {
            hook = _hook.Value;
            // Removed since (the folder cleared by hand): put back, or upload-pack would fail to start it.
            if (!File.Exists(hook))
                hook = Install(Folder(data));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cache folder cannot be written: the fetch runs pack-objects itself.
            return null;
        }
        var folder = Path.GetDirectoryName(hook)!;
        var report = Path.Combine(folder, $"report.{Guid.NewGuid():N}");
        GitCommand.AddConfig(info, "uploadpack.packObjectsHook", hook);
        info.Environment["LATCHKEY_PACK_CACHE"] = folder;
        info.Environment["LATCHKEY_PACK_CACHE_SECONDS"] = seconds.ToString(CultureInfo.InvariantCulture);
        info.Environment["LATCHKEY_PACK_CACHE_REPORT"] = report;
        return report;
    }

    /// <summary>Counts how the fetch was answered (a fetch that needed no pack wrote nothing) and removes the report.</summary>
    public void Collect(string? report)
    {
        if (report is null)
            return;
        try
        {
            foreach (var outcome in File.ReadAllLines(report))
            {
                if (outcome is "hit" or "follow" or "miss")
                    metrics.PackCache(outcome);
            }
            File.Delete(report);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string Install(string folder)
    {
        HostingSetup.CreatePrivateDirectory(Path.GetDirectoryName(folder)!);
        HostingSetup.CreatePrivateDirectory(folder);
        var path = Path.Combine(folder, HookName);
        if (File.Exists(path) && File.ReadAllText(path) == Script.Value)
            return path;
        // Nodes sharing the volume from one host may install at once: each renames its own file into place.
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.new";
        File.WriteAllText(temporary, Script.Value);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
