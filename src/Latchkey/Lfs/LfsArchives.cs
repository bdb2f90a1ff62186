using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Latchkey.Lfs;

/// <summary>
/// Archives with the files behind Git LFS pointers, as GitHub's "Include Git LFS objects in archives"
/// setting makes them: <c>git archive --format=tar</c> is read entry by entry as it streams, each
/// pointer to an object the repository holds is replaced by the object's bytes (read from its file),
/// and the result is written as a gzipped tar or a zip. Memory stays flat: one entry's header, and
/// a pointer (at most 1 KiB), at a time.
/// </summary>
public static class LfsArchives
{
    public static async Task WriteAsync(Stream gitTar, Stream output, bool zip, IReadOnlySet<string> held, LfsObjectStore store, CancellationToken ct)
    {
        await using var reader = new TarReader(gitTar);
        if (zip)
        {
            // ZipArchive writes a non-seekable stream in Create mode (sizes in data descriptors). It
            // writes headers synchronously, which Kestrel refuses: those few bytes wait for the next async write.
            var behind = new WriteBehind(output);
            await using (var archive = new ZipArchive(behind, ZipArchiveMode.Create, leaveOpen: true))
                await WriteZipAsync(archive, reader, held, store, ct);
            await behind.FlushAsync(ct);
            return;
        }
        await WriteTarGzAsync(reader, output, held, store, ct);
    }

    private static async Task WriteZipAsync(ZipArchive archive, TarReader reader, IReadOnlySet<string> held, LfsObjectStore store, CancellationToken ct)
    {
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry is PaxGlobalExtendedAttributesTarEntry global)
            {
                // git archive records the commit there; a zip from git carries it as its comment.
                if (global.GlobalExtendedAttributes.TryGetValue("comment", out var commit))
                    archive.Comment = commit;
                continue;
            }
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory or TarEntryType.SymbolicLink))
                continue;
            var name = entry.EntryType == TarEntryType.Directory && !entry.Name.EndsWith('/') ? entry.Name + "/" : entry.Name;
            var item = archive.CreateEntry(name, CompressionLevel.Optimal);
            item.LastWriteTime = entry.ModificationTime;
            // As git's own zips: Unix attributes only for executables (0755) and symbolic links.
            item.ExternalAttributes = entry.EntryType == TarEntryType.SymbolicLink ? 0xA1FF << 16
                : entry.EntryType != TarEntryType.Directory && entry.Mode.HasFlag(UnixFileMode.UserExecute) ? 0x81ED << 16
                : 0;
            // A directory is an empty entry; a file gets its content (or the object behind its pointer).
            await using var target = await item.OpenAsync(ct);
            if (entry.EntryType == TarEntryType.Directory)
                continue;
            if (entry.EntryType == TarEntryType.SymbolicLink)
            {
                await target.WriteAsync(Encoding.UTF8.GetBytes(entry.LinkName), ct);
                continue;
            }
            await using var content = await ContentAsync(entry, held, store, ct);
            await content.CopyToAsync(target, ct);
        }
    }

    private static async Task WriteTarGzAsync(TarReader reader, Stream output, IReadOnlySet<string> held, LfsObjectStore store, CancellationToken ct)
    {
        await using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        await using var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.Length <= LfsPointer.MaxLength)
            {
                var content = await ContentAsync(entry, held, store, ct);
                if (content is FileStream file)
                {
                    // A new entry: the reader's own entry must keep its size, by which it finds the next one.
                    await using (file)
                    {
                        var replaced = new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
                        {
                            Mode = entry.Mode,
                            ModificationTime = entry.ModificationTime,
                            Uid = entry.Uid,
                            Gid = entry.Gid,
                            DataStream = file,
                        };
                        if (entry is PosixTarEntry posix)
                            (replaced.UserName, replaced.GroupName) = (posix.UserName, posix.GroupName);
                        await writer.WriteEntryAsync(replaced, ct);
                    }
                    continue;
                }
                entry.DataStream = content;
            }
            await writer.WriteEntryAsync(entry, ct);
        }
    }

    /// <summary>A file entry's content: the object behind it when it is a pointer the repository holds, else its own bytes.</summary>
    private static async Task<Stream> ContentAsync(TarEntry entry, IReadOnlySet<string> held, LfsObjectStore store, CancellationToken ct)
    {
        if (entry.DataStream is not { } data)
            return Stream.Null;
        if (entry.Length > LfsPointer.MaxLength)
            return new NonClosing(data);
        var small = new MemoryStream();
        await data.CopyToAsync(small, ct);
        small.Position = 0;
        if (LfsPointer.TryParse(small.GetBuffer().AsSpan(0, (int)small.Length)) is { } pointer && held.Contains(pointer.Oid) && store.Exists(pointer.Oid, pointer.Size))
            return store.OpenRead(pointer.Oid);
        return small;
    }

    /// <summary>Holds synchronous writes (a few header bytes) until the next asynchronous write or flush.</summary>
    private sealed class WriteBehind(Stream inner) : Stream
    {
        private readonly MemoryStream _pending = new();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await DrainAsync(cancellationToken);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await DrainAsync(cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }

        private async Task DrainAsync(CancellationToken ct)
        {
            if (_pending.Length == 0)
                return;
            await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct);
            _pending.SetLength(0);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The tar reader owns its entries' streams: copying one must not close it.</summary>
    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
