using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static UcloudIm.Unix.OpenFlags;

namespace UcloudIm.Unix;

/// <summary>
/// A folder held open. Everything below it is reached with *at() calls relative to the descriptor, one
/// component at a time and never through a symbolic link, so a path cannot leave the folder: not by '..',
/// not by a link, and not by a link swapped in between a check and a use.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class OpenDirectory : IDisposable
{
    private const uint RenameNoReplace = 1;
    public const int ELOOP = 40;

    public int Fd { get; private set; }

    private OpenDirectory(int fd) => Fd = fd;

    /// <summary>Opens <paramref name="path"/> as the calling user (links in it are followed: it is trusted); errors carry their errno.</summary>
    public static OpenDirectory Open(string path)
    {
        var fd = Libc.open(path, ORdOnly | ODirectory | OCloExec);
        if (fd < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), path);
        return new OpenDirectory(fd);
    }

    /// <summary>
    /// Walks <paramref name="components"/> down from here, refusing symbolic links (ELOOP), making missing
    /// folders with <paramref name="createMode"/> when it is given.
    /// </summary>
    public OpenDirectory Descend(IEnumerable<string> components, int? createMode = null)
    {
        var current = this;
        try
        {
            foreach (var name in components)
            {
                var next = current.OpenChild(name, createMode);
                if (!ReferenceEquals(current, this)) current.Dispose();
                current = next;
            }
            // Always a new descriptor, so the caller may dispose it whatever the walk was.
            return ReferenceEquals(current, this) ? current.OpenChild(".", null) : current;
        }
        catch
        {
            if (!ReferenceEquals(current, this)) current.Dispose();
            throw;
        }
    }

    private OpenDirectory OpenChild(string name, int? createMode)
    {
        CheckName(name);
        var fd = Libc.openat(Fd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0 && Marshal.GetLastPInvokeError() == FileSystemCalls.ENOENT && createMode is { } mode)
        {
            if (Libc.mkdirat(Fd, name, (uint)mode) != 0 && Marshal.GetLastPInvokeError() != FileSystemCalls.EEXIST)
                throw new UnixIOException(Marshal.GetLastPInvokeError(), name);
            fd = Libc.openat(Fd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        }
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR; say what it really is.
            if (errno == FileSystemCalls.ENOTDIR && FileStat.Of(this, name)?.Kind == FileKind.SymbolicLink) errno = ELOOP;
            throw new UnixIOException(errno, name);
        }
        return new OpenDirectory(fd);
    }

    /// <summary>Whether the calling user may make entries here (checked with the effective ids, as a write would be).</summary>
    public bool CanWrite()
    {
        return Libc.faccessat(Fd, ".", FileSystemCalls.WriteAccess, FileSystemCalls.AtEAccess) == 0;
    }

    /// <summary>
    /// This very folder as a path (<c>/proc/self/fd/N</c>), for calls .NET makes only by path: the kernel resolves it
    /// to the folder held open, wherever it is now and whatever was put at its old path since.
    /// </summary>
    public string Path => $"/proc/self/fd/{Fd}";

    /// <summary>The names of the entries in this very folder (not "." or ".."), in the order the file system gives them.</summary>
    public List<string> Names() => [.. Directory.EnumerateFileSystemEntries(Path).Select(p => System.IO.Path.GetFileName(p))];

    /// <summary>
    /// A name in this folder as a path, for calls that do not follow a link in their last component (lstat,
    /// readlink, symlink, unlink, open with O_NOFOLLOW): only the folder part is resolved, through <see cref="Path"/>.
    /// </summary>
    public string PathOf(string name)
    {
        CheckName(name);
        return $"{Path}/{name}";
    }

    /// <summary>Makes a folder here; false if something is already there.</summary>
    public bool TryMakeDirectory(string name, int mode)
    {
        CheckName(name);
        if (Libc.mkdirat(Fd, name, (uint)mode) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno == FileSystemCalls.EEXIST ? false : throw new UnixIOException(errno, name);
    }

    /// <summary>
    /// Opens (making or truncating) a regular file here for writing. A link in its place is refused (ELOOP), and so
    /// is a FIFO or device (ENXIO): without O_NONBLOCK, opening a FIFO would wait for a reader forever.
    /// </summary>
    public SafeFileHandle CreateFile(string name, int mode)
    {
        CheckName(name);
        var fd = Libc.openat(Fd, name, OWrOnly | OCreat | OTrunc | ONonBlock | ONoFollow | OCloExec, (uint)mode);
        if (fd < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), name);
        return FileSystemCalls.RegularOnly(fd, name);
    }

    /// <summary>renameat2 within this folder; with <paramref name="replace"/> false, false if the target exists.</summary>
    public bool TryRename(string from, string to, bool replace) => TryRename(from, this, to, replace);

    /// <summary>renameat2 from this folder into <paramref name="target"/>; with <paramref name="replace"/> false, false if the target exists.</summary>
    public bool TryRename(string from, OpenDirectory target, string to, bool replace)
    {
        CheckName(from);
        CheckName(to);
        if (Libc.renameat2(Fd, from, target.Fd, to, replace ? 0 : RenameNoReplace) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno == FileSystemCalls.EEXIST && !replace ? false : throw new UnixIOException(errno, to);
    }

    /// <summary>
    /// Removes an entry here and, when it is a folder, everything in it; a missing one is not an error. Each
    /// folder is opened by name (O_NOFOLLOW) and emptied through its descriptor, so a folder that someone swaps
    /// for a link while it is being removed loses the link, never what the link names. Directory.Delete recurses
    /// by path and empties the folder a link swapped in names, as the user: in a project folder's trash, another
    /// member could aim it at any folder of the user emptying it.
    /// </summary>
    public void DeleteTree(string name)
    {
        CheckName(name);
        if (FileStat.Of(this, name)?.Kind == FileKind.Directory)
        {
            OpenDirectory? folder = null;
            try
            {
                folder = OpenChild(name, null);
            }
            catch (UnixIOException e) when (e.Errno is ELOOP or FileSystemCalls.ENOTDIR)
            {
                // No longer a folder since the stat: removed below as what it is now.
            }
            if (folder is not null)
            {
                // As much as can be removed is: the first failure is reported once the rest has been tried.
                Exception? failed = null;
                using (folder)
                {
                    // A folder the user may not list (UnauthorizedAccessException) is one failure, not the end.
                    foreach (var child in folder.Names())
                    {
                        try
                        {
                            folder.DeleteTree(child);
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                        {
                            failed ??= e;
                        }
                    }
                }
                if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
                try
                {
                    DeleteEmptyFolder(name);
                }
                catch (UnixIOException e) when (e.Errno == FileSystemCalls.ENOENT)
                {
                }
                return;
            }
        }
        DeleteFile(name);
    }

    private const int AtRemoveDir = 0x200;

    /// <summary>Removes an empty folder here (ENOTEMPTY if something is in it, ENOTDIR if it is not a folder).</summary>
    public void DeleteEmptyFolder(string name)
    {
        CheckName(name);
        if (Libc.unlinkat(Fd, name, AtRemoveDir) != 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), name);
    }

    /// <summary>Removes a file here; a missing one is not an error.</summary>
    public void DeleteFile(string name)
    {
        CheckName(name);
        if (Libc.unlinkat(Fd, name, 0) != 0 && Marshal.GetLastPInvokeError() is var errno and not FileSystemCalls.ENOENT) throw new UnixIOException(errno, name);
    }

    /// <summary>Sets a file's modification time (and its access time to the same).</summary>
    public static unsafe void SetModifiedTime(SafeFileHandle file, long unixMs)
    {
        var ts = stackalloc Libc.Timespec[2];
        ts[0] = ts[1] = new Libc.Timespec { Seconds = Math.DivRem(unixMs, 1000, out var ms), Nanoseconds = ms * 1_000_000 };
        if (ts[0].Nanoseconds < 0) ts[0] = ts[1] = new Libc.Timespec { Seconds = ts[0].Seconds - 1, Nanoseconds = ts[0].Nanoseconds + 1_000_000_000 };
        if (Libc.futimens((int)file.DangerousGetHandle(), ts) != 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), "futimens");
    }

    /// <summary>
    /// Starts writing a byte range of a file to its device and returns without waiting (sync_file_range with
    /// SYNC_FILE_RANGE_WRITE). A hint: it may block while the device's queue is full, which slows a fast writer
    /// to the disk's pace; a file system that cannot do it is simply left to its own writeback.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long count)
    {
        const uint SyncFileRangeWrite = 2;
        _ = Libc.sync_file_range((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite);
    }

    /// <summary>Single components only: the *at() calls above must never be handed a path.</summary>
    private static void CheckName(string name)
    {
        if (name.Length == 0 || name == ".." || name.Contains('/') || name.Contains('\0'))
            throw new ArgumentException($"not a single path component: '{name}'", nameof(name));
    }

    public void Dispose()
    {
        if (Fd < 0) return;
        Libc.close(Fd);
        Fd = -1;
    }
}
