using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text;
using UcloudIm.Unix;

namespace UcloudIm.Files;

/// <summary>
/// A folder downloaded as one file: a tar archive (POSIX pax: any size, any name) written as it is read, as the
/// user, straight to the download. Nothing is staged on disk and there is no size cap; the reader's pace holds
/// the writer back. Symbolic links are stored as links, never followed. What cannot be read (or is no regular
/// file, folder or link) is left out and named in a last entry, "&lt;folder&gt;/ucloud-download-errors.txt", so a
/// partial archive never passes for a whole one.
/// </summary>
[SupportedOSPlatform("linux")]
public static class FolderArchive
{
    public const string ContentType = "application/x-tar";
    public const string ErrorsEntry = "ucloud-download-errors.txt";

    /// <summary>The download's file name: the folder's name with ".tar".</summary>
    public static string NameOf(string folder) => (Path.GetFileName(folder.TrimEnd('/')) is { Length: > 0 } n ? n : "drive") + ".tar";

    /// <summary>Writes the archive of <paramref name="folder"/>; its entries are under the folder's own name.</summary>
    public static async Task WriteAsync(string folder, Stream output, CancellationToken ct)
    {
        var top = Path.GetFileNameWithoutExtension(NameOf(folder));
        var problems = new List<string>();
        await using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            // The top is a folder in the archive even when the link's path reached it through a symbolic link.
            var root = FileStat.Of(folder, followLinks: true) ?? throw new DirectoryNotFoundException(folder);
            await tar.WriteEntryAsync(Entry(TarEntryType.Directory, top, root), ct);
            var pending = new Stack<(string Local, string Entry)>();
            pending.Push((folder, top));
            while (pending.TryPop(out var dir))
            {
                List<string> names;
                try
                {
                    names = [.. Directory.EnumerateFileSystemEntries(dir.Local).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];
                }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException)
                {
                    problems.Add($"{dir.Entry}/: not read ({Reason(e)})");
                    continue;
                }
                foreach (var name in names)
                {
                    ct.ThrowIfCancellationRequested();
                    var local = dir.Local + "/" + name;
                    var entry = dir.Entry + "/" + name;
                    FileStat? stat;
                    try
                    {
                        stat = FileStat.Of(local);
                    }
                    catch (UnixIOException e)
                    {
                        problems.Add($"{entry}: not read ({Reason(e)})");
                        continue;
                    }
                    if (stat is not { Kind: FileKind.Regular or FileKind.Directory or FileKind.SymbolicLink })
                    {
                        if (stat is not null) problems.Add($"{entry}: left out (not a regular file, folder or link)");
                        continue;
                    }
                    if (stat.Value.Kind == FileKind.Regular)
                    {
                        // Opened before its header is written: a file that cannot be read leaves no trace. A failure
                        // after that (writing to the download, or reading the file) ends the archive.
                        FileStream data;
                        try
                        {
                            // Not through a link, and never blocking on a FIFO swapped in since the stat above.
                            data = new FileStream(FileSystemCalls.OpenRegularForReading(local, followLinks: false), FileAccess.Read, 0);
                        }
                        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
                        {
                            problems.Add($"{entry}: not read ({Reason(e)})");
                            continue;
                        }
                        await using (data) await WriteFileAsync(tar, data, entry, ct);
                        continue;
                    }
                    try
                    {
                        await tar.WriteEntryAsync(local, entry, ct);
                    }
                    catch (Exception e) when (e is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
                    {
                        problems.Add($"{entry}: not read ({Reason(e)})");
                        continue;
                    }
                    if (stat.Value.Kind == FileKind.Directory) pending.Push((local, entry));
                }
            }
            if (problems.Count > 0)
            {
                var text = Encoding.UTF8.GetBytes(
                    "These were not included in this archive:\n" + string.Join('\n', problems) + "\n");
                // Under a name of its own: a file of the folder called so is not overwritten when the archive is unpacked.
                var name = ErrorsEntry;
                for (var i = 2; FileStat.Of(folder + "/" + name) is not null; i++) name = $"{Path.GetFileNameWithoutExtension(ErrorsEntry)}-{i}.txt";
                var report = new PaxTarEntry(TarEntryType.RegularFile, top + "/" + name) { DataStream = new MemoryStream(text) };
                await tar.WriteEntryAsync(report, ct);
            }
        }
        await output.FlushAsync(ct);
    }

    /// <summary>A regular file's entry with its data, as the open file is now.</summary>
    private static async Task WriteFileAsync(TarWriter tar, FileStream data, string entry, CancellationToken ct)
    {
        var s = FileStat.Of(data.SafeFileHandle);
        var e = Entry(TarEntryType.RegularFile, entry, s);
        e.DataStream = new BoundedStream(data, s.Size);
        await tar.WriteEntryAsync(e, ct);
    }

    /// <summary>An entry with the time, mode and owner the file has.</summary>
    private static PaxTarEntry Entry(TarEntryType type, string name, FileStat s) => new(type, name)
    {
        ModificationTime = DateTimeOffset.FromUnixTimeMilliseconds(s.ModifiedAtMs),
        Mode = (UnixFileMode)(s.Mode & 0xFFF),
        Uid = (int)s.Uid,
        Gid = (int)s.Gid,
    };

    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException or UnixIOException { IsPermissionDenied: true } => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "removed while the archive was made",
        UnixIOException { Errno: OpenDirectory.ELOOP } => "replaced by a symbolic link while the archive was made",
        UnixIOException u => u.Reason,
        _ => e.Message,
    };

    /// <summary>
    /// The first <c>length</c> bytes of a file, as its size was when its header was written: a file that grows
    /// meanwhile is cut there, one that shrinks is padded with zeros, so the archive stays well formed.
    /// </summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true; // TarWriter reads Length; it never seeks.
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var want = (int)Math.Min(buffer.Length, length - _position);
            if (want <= 0) return 0;
            var n = inner.Read(buffer[..want]);
            if (n == 0) { buffer[..want].Clear(); n = want; }
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var want = (int)Math.Min(buffer.Length, length - _position);
            if (want <= 0) return 0;
            var n = await inner.ReadAsync(buffer[..want], cancellationToken);
            if (n == 0) { buffer.Span[..want].Clear(); n = want; }
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        // Only "stay where you are" (a writer rewinding a stream it has not read yet): the data is read once.
        public override long Seek(long offset, SeekOrigin origin) =>
            (origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? _position + offset : length + offset) == _position
                ? _position : throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
