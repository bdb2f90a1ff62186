using System.IO.Pipelines;
using System.Security.Cryptography;
using Latchkey.Hosting;
using Microsoft.Win32.SafeHandles;

namespace Latchkey.Lfs;

/// <summary>Why an upload was not stored.</summary>
public enum LfsWriteProblem
{
    None,

    /// <summary>More or fewer bytes than the batch request announced.</summary>
    WrongSize,

    /// <summary>The bytes do not hash to the object's name.</summary>
    WrongHash,
}

/// <summary>
/// The bytes of Git LFS objects under the data directory, named by their SHA-256
/// (<c>lfs/&lt;oid[0:2]&gt;/&lt;oid[2:4]&gt;/&lt;oid&gt;</c>) and stored once for every repository.
/// An upload is written to a temporary file beside them, hashed while it streams, and renamed into
/// place only when its size and hash are right, so a wrong or interrupted upload leaves nothing.
/// Several nodes may share the folder: a rename is atomic and two uploads of one object write the same bytes.
/// </summary>
public sealed class LfsObjectStore
{
    private readonly string _root;
    private readonly string _incoming;

    public LfsObjectStore(DataDirectory data)
    {
        _root = data.Lfs;
        _incoming = Path.Combine(_root, "incoming");
        HostingSetup.CreatePrivateDirectory(_root);
        HostingSetup.CreatePrivateDirectory(_incoming);
    }

    public string Root => _root;

    /// <summary>An object id as Git LFS writes it: 64 lower-case hex digits.</summary>
    public static bool IsOid(string? oid) => oid is { Length: 64 } && oid.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    public string PathOf(string oid) => Path.Combine(_root, oid[..2], oid[2..4], oid);

    public bool Exists(string oid, long size)
    {
        var file = new FileInfo(PathOf(oid));
        return file.Exists && file.Length == size;
    }

    /// <summary>
    /// How much of the request body one step hashes and writes. Kestrel stops reading the socket when
    /// a connection holds 1 MiB it has not been told was consumed (Limits.MaxRequestBufferSize), so a
    /// step takes a quarter of that: the socket keeps filling the rest while the step runs.
    /// </summary>
    private const int StepBytes = 256 * 1024;

    /// <summary>At most this many buffers go to one gather write (a system's IOV_MAX is 1024 or more).</summary>
    private const int MaxBuffersPerWrite = 512;

    /// <summary>
    /// Streams <paramref name="body"/> into a temporary file, hashing as it goes, and returns the file
    /// when exactly <paramref name="size"/> bytes arrived and they hash to <paramref name="oid"/>;
    /// otherwise nothing is kept. The caller records the object, then <see cref="Commit"/>s the file.
    /// </summary>
    public async Task<(LfsWriteProblem Problem, string? Staged)> StageAsync(string oid, long size, PipeReader body, CancellationToken ct)
    {
        var staged = Path.Combine(_incoming, $"{oid}.{Guid.NewGuid():N}");
        var keep = false;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            // Unbuffered: the body's own buffers go to the file in one gather write per step, no copy in between.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0 };
            if (!OperatingSystem.IsWindows())
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            var pieces = new List<ReadOnlyMemory<byte>>();
            await using (var file = new FileStream(staged, create))
            {
                var handle = file.SafeFileHandle;
                while (true)
                {
                    var read = await body.ReadAtLeastAsync(StepBytes, ct);
                    var whole = read.Buffer.Length <= StepBytes;
                    var step = whole ? read.Buffer : read.Buffer.Slice(0, StepBytes);
                    if (total + step.Length > size)
                        return (LfsWriteProblem.WrongSize, null);
                    if (!step.IsEmpty)
                    {
                        // The hash (about a second of CPU per GiB) runs on another core while this one
                        // writes the same bytes; both are done before the buffers go back to Kestrel.
                        var hashing = Task.Run(() =>
                        {
                            foreach (var segment in step)
                                hash.AppendData(segment.Span);
                        }, CancellationToken.None);
                        try
                        {
                            var offset = total;
                            foreach (var segment in step)
                            {
                                pieces.Add(segment);
                                if (pieces.Count == MaxBuffersPerWrite)
                                    offset += await WriteAsync(handle, pieces, offset, ct);
                            }
                            if (pieces.Count > 0)
                                await WriteAsync(handle, pieces, offset, ct);
                        }
                        finally
                        {
                            pieces.Clear();
                            await hashing;
                        }
                        total += step.Length;
                    }
                    // Consumed and examined alike: what is left of this read comes back at once from the next.
                    body.AdvanceTo(step.End);
                    if (read.IsCompleted && whole)
                        break;
                }
            }
            if (total != size)
                return (LfsWriteProblem.WrongSize, null);
            if (!Convert.ToHexStringLower(hash.GetHashAndReset()).Equals(oid, StringComparison.Ordinal))
                return (LfsWriteProblem.WrongHash, null);
            keep = true;
            return (LfsWriteProblem.None, staged);
        }
        finally
        {
            if (!keep)
                File.Delete(staged);
        }
    }

    /// <summary>Writes <paramref name="pieces"/> at <paramref name="offset"/> and empties the list; returns how many bytes.</summary>
    private static async Task<long> WriteAsync(SafeFileHandle handle, List<ReadOnlyMemory<byte>> pieces, long offset, CancellationToken ct)
    {
        long bytes = 0;
        foreach (var piece in pieces)
            bytes += piece.Length;
        await RandomAccess.WriteAsync(handle, pieces, offset, ct);
        pieces.Clear();
        return bytes;
    }

    /// <summary>Moves a staged upload into place (replacing an identical copy another upload put there).</summary>
    public void Commit(string oid, string staged)
    {
        var target = PathOf(oid);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(staged, target, overwrite: true);
    }

    public static void Discard(string? staged)
    {
        if (staged is not null)
            File.Delete(staged);
    }

    public FileStream OpenRead(string oid) =>
        new(PathOf(oid), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0 });

    /// <summary>
    /// Removes an object's file unless <paramref name="stillHeld"/> says a repository holds it. The
    /// file is first moved aside, then the database is asked, and it comes back if an upload recorded
    /// the object meanwhile: an upload records before it renames, so no held object loses its file.
    /// </summary>
    public async Task<bool> RemoveUnlessHeldAsync(string oid, Func<Task<bool>> stillHeld)
    {
        var target = PathOf(oid);
        var aside = Path.Combine(_incoming, $"{oid}.{Guid.NewGuid():N}.removed");
        try
        {
            File.Move(target, aside);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        if (await stillHeld())
        {
            File.Move(aside, target, overwrite: true);
            return false;
        }
        File.Delete(aside);
        return true;
    }

    /// <summary>Every stored object id (for the administrator's check and the sweep).</summary>
    public IEnumerable<string> StoredOids()
    {
        foreach (var first in Directory.EnumerateDirectories(_root))
        {
            if (Path.GetFileName(first).Length != 2)
                continue;
            foreach (var second in Directory.EnumerateDirectories(first))
            {
                foreach (var file in Directory.EnumerateFiles(second))
                {
                    if (IsOid(Path.GetFileName(file)))
                        yield return Path.GetFileName(file);
                }
            }
        }
    }
}
