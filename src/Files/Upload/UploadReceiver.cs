using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using UcloudIm.Unix;

namespace UcloudIm.Files.Upload;

/// <summary>A file could not be written; the message is for the end-user.</summary>
public sealed class UploadFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The receiving side of one upload connection, as the user. Each accepted file is written to a hidden
/// temporary name next to its target (".name.upload-&lt;session&gt;") and renamed when its last byte is in, with
/// the client's modification time; no partial file ever stands under the final name. A file already there
/// with the same size and modification time is skipped, which is what makes an interrupted upload resume.
/// Data is written as it arrives and the next frame is read only after that, so a fast client is slowed to
/// the disk's pace instead of filling memory.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UploadReceiver : IDisposable
{
    public const int FileMode = 0b110_110_000; // 0660, further limited by the instance's umask
    public const int MaxOpenFiles = 64;
    public const int MaxListedFiles = 1_000_000;
    /// <summary>Modification times this close count as equal (some file systems keep whole seconds only).</summary>
    public static readonly long SameTimeMs = 1000;
    /// <summary>
    /// Each time this much more of a file is written, its writeback to the disk is started. The disk then works
    /// while the rest arrives, instead of after it: the file is safe sooner, and a large upload does not leave
    /// a gigabyte of dirty pages to the kernel's 30-second flusher.
    /// </summary>
    public const long WritebackWindow = 8 << 20;

    /// <summary>Targets being written by any connection of this process: two connections never write one file.</summary>
    private static readonly ConcurrentDictionary<string, byte> Writing = new(StringComparer.Ordinal);

    private readonly UploadSession _session;
    private readonly string _tempSuffix;
    private readonly OpenDirectory _drive;
    private readonly Dictionary<int, PendingFile> _files = [];
    private readonly HashSet<int> _finished = [];
    private readonly List<byte> _reply = [];
    private int _processed;
    private int _reported;
    private int _open;

    /// <param name="sessionTag">Short and fixed per session (a hash of its token): a resumed session reuses its temporary names.</param>
    public UploadReceiver(UploadSession session, string sessionTag)
    {
        _session = session;
        _tempSuffix = ".upload-" + sessionTag;
        try
        {
            _drive = OpenDirectory.Open(session.DriveRoot);
        }
        catch (UnixIOException e)
        {
            throw new UploadFailedException($"The drive cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>Files completed or skipped so far on this connection.</summary>
    public int Processed => _processed;

    /// <summary>Decides for each entry: OK (send it) or SKIP (it is already there).</summary>
    public void OnListing(IReadOnlyList<ListingEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (_files.ContainsKey(entry.FileId) || _finished.Contains(entry.FileId))
                throw new UploadProtocolException($"file id {entry.FileId} was listed twice");
            if (_files.Count + _finished.Count >= MaxListedFiles) throw new UploadProtocolException($"more than {MaxListedFiles} files on one connection");
            var parts = UploadProtocol.SplitPath(entry.Path);
            var (dir, name) = _session.Kind == UploadKind.File
                ? (_session.Below.Take(_session.Below.Count - 1).ToArray(), _session.Below[^1])
                : ([.. _session.Below, .. parts[..^1]], parts[^1]);
            var file = new PendingFile(entry, dir, name);
            if (AlreadyThere(file))
            {
                Finish(entry.FileId, UploadOp.Skip);
                continue;
            }
            _files.Add(entry.FileId, file);
            Append(UploadOp.Ok, entry.FileId);
            if (entry.Size == 0) Complete(file);
        }
    }

    /// <summary>Writes data for a file at the position it has reached; completes the file with its last byte.</summary>
    public void OnChunk(int fileId, ReadOnlySpan<byte> data)
    {
        if (!_files.TryGetValue(fileId, out var file))
        {
            if (data.IsEmpty && _finished.Contains(fileId)) return; // an empty file's (unneeded) chunk
            throw new UploadProtocolException($"data for file id {fileId}, which was not accepted or is already complete");
        }
        if (data.Length > file.Entry.Size - file.Written)
            throw new UploadProtocolException($"more data for {file.Name} than its listed size of {file.Entry.Size} bytes");
        file.Handle ??= Open(file);
        try
        {
            RandomAccess.Write(file.Handle, data, file.Written);
        }
        catch (IOException e)
        {
            throw new UploadFailedException($"{file.Name} could not be written: {Reason(e)}", e);
        }
        file.Written += data.Length;
        if (file.Written == file.Entry.Size) Complete(file);
        else if (file.Written - file.WrittenBack >= WritebackWindow)
        {
            OpenDirectory.StartWriteback(file.Handle, file.WrittenBack, file.Written - file.WrittenBack);
            file.WrittenBack = file.Written;
        }
    }

    /// <summary>The client gives up on a file: what was written of it goes away.</summary>
    public void OnSkip(int fileId)
    {
        if (!_files.Remove(fileId, out var file)) return;
        Discard(file);
        _finished.Add(fileId);
    }

    /// <summary>The reply to send now (OK/SKIP decisions, then COMPLETED if the count moved), or null.</summary>
    public byte[]? TakeReply()
    {
        if (_processed != _reported)
        {
            UploadProtocol.Append(_reply, UploadOp.Completed, _processed);
            _reported = _processed;
        }
        if (_reply.Count == 0) return null;
        var frame = _reply.ToArray();
        _reply.Clear();
        return frame;
    }

    private bool AlreadyThere(PendingFile file)
    {
        try
        {
            using var dir = _drive.Descend(file.Directory);
            var there = FileStat.Of(dir, file.Name);
            return there is { Kind: FileKind.Regular } s && s.Size == file.Entry.Size && Math.Abs(s.ModifiedAtMs - file.Entry.ModifiedAtMs) < SameTimeMs;
        }
        catch (UnixIOException e) when (e.Errno is 2 or 20)
        {
            return false; // the folder is not there yet: it will be made
        }
        catch (UnixIOException e)
        {
            throw Failed(file, e);
        }
    }

    private SafeFileHandle Open(PendingFile file)
    {
        if (_open >= MaxOpenFiles) throw new UploadProtocolException($"more than {MaxOpenFiles} files open at once on one connection");
        file.Key = $"{_session.DriveRoot}/{string.Join('/', file.Directory)}/{file.Name}";
        if (!Writing.TryAdd(file.Key, 0)) throw new UploadFailedException($"{file.Name} is already being uploaded on another connection");
        try
        {
            file.Dir = _drive.Descend(file.Directory, createMode: _session.Kind == UploadKind.Folder ? FileOperations.FolderMode : null);
            var handle = file.Dir.CreateFile(file.TempName(_tempSuffix), FileMode);
            _open++;
            return handle;
        }
        catch (UnixIOException e)
        {
            Discard(file);
            throw Failed(file, e);
        }
    }

    private void Complete(PendingFile file)
    {
        file.Handle ??= Open(file);
        try
        {
            if (file.WrittenBack > 0) OpenDirectory.StartWriteback(file.Handle, file.WrittenBack, file.Written - file.WrittenBack);
            OpenDirectory.SetModifiedTime(file.Handle, file.Entry.ModifiedAtMs);
            file.Handle.Dispose();
            _open--;
            file.Handle = null;
            var temp = file.TempName(_tempSuffix);
            // Inside an uploaded folder a file replaces its namesake (identical ones were skipped above); a
            // single file keeps the name chosen when the upload began, and if that was taken since, the next
            // free one: finished data is never thrown away.
            var replace = _session.Kind == UploadKind.Folder || _session.Policy == WriteConflictPolicy.Replace;
            if (!TryRename(file.Dir!, temp, file.Name, replace)
                && !WriteConflict.Candidates(file.Name).Any(c => TryRename(file.Dir!, temp, c, replace: false)))
                throw new UploadFailedException($"no free name for {file.Name}");
        }
        catch (UnixIOException e)
        {
            Discard(file);
            throw Failed(file, e);
        }
        Release(file);
        _files.Remove(file.Entry.FileId);
        Finish(file.Entry.FileId, null);
    }

    private static bool TryRename(OpenDirectory dir, string from, string to, bool replace)
    {
        try
        {
            return dir.TryRename(from, to, replace);
        }
        catch (UnixIOException e) when (e.Errno is FileSystemCalls.EISDIR or FileSystemCalls.ENOTEMPTY or FileSystemCalls.EEXIST)
        {
            return false; // a folder stands under that name: take another
        }
    }

    private void Finish(int fileId, UploadOp? reply)
    {
        if (reply is { } op) Append(op, fileId);
        _finished.Add(fileId);
        _processed++;
    }

    private void Append(UploadOp op, int value) => UploadProtocol.Append(_reply, op, value);

    private void Discard(PendingFile file)
    {
        if (file.Handle is not null)
        {
            file.Handle.Dispose();
            file.Handle = null;
            _open--;
        }
        try { file.Dir?.DeleteFile(file.TempName(_tempSuffix)); } catch (UnixIOException) { }
        Release(file);
    }

    private static void Release(PendingFile file)
    {
        file.Dir?.Dispose();
        file.Dir = null;
        if (file.Key is not null) Writing.TryRemove(file.Key, out _);
        file.Key = null;
    }

    private static UploadFailedException Failed(PendingFile file, UnixIOException e) => new(
        e.Errno == OpenDirectory.ELOOP
            ? $"{string.Join('/', [.. file.Directory, file.Name])}: uploads do not pass through symbolic links"
            : $"{file.Name} could not be written: {Reason(e)}", e);

    private static string Reason(IOException e) => e switch
    {
        UnixIOException { IsPermissionDenied: true } => "permission denied",
        UnixIOException { Errno: 28 } => "no space left on the device",
        UnixIOException { Errno: 122 } => "disk quota exceeded",
        UnixIOException { Errno: 20 } => "a part of its path is not a folder",
        _ when e.HResult is 28 or 122 => "no space left or quota exceeded",
        UnixIOException u => u.Reason,
        _ => e.Message,
    };

    /// <summary>Whatever is unfinished goes away: its temporary file is removed.</summary>
    public void Dispose()
    {
        foreach (var file in _files.Values) Discard(file);
        _files.Clear();
        _drive.Dispose();
    }

    private sealed class PendingFile(ListingEntry entry, string[] directory, string name)
    {
        public ListingEntry Entry { get; } = entry;
        public string[] Directory { get; } = directory;
        public string Name { get; } = name;
        public OpenDirectory? Dir { get; set; }
        public SafeFileHandle? Handle { get; set; }
        public long Written { get; set; }
        public long WrittenBack { get; set; }
        public string? Key { get; set; }

        /// <summary>Hidden, next to the target, and short enough for NAME_MAX whatever the name's length.</summary>
        public string TempName(string suffix) => "." + (System.Text.Encoding.UTF8.GetByteCount(Name) > 200
            ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Name)))[..16]
            : Name) + suffix;
    }
}
