using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static UcloudIm.Unix.OpenFlags;

namespace UcloudIm.Unix;

/// <summary>Atomic file-system calls that .NET does not offer: each either happens whole or reports why not.</summary>
[SupportedOSPlatform("linux")]
public static class FileSystemCalls
{
    private const int AtFdCwd = -100;
    private const uint RenameNoReplace = 1;
    public const int EEXIST = 17, ENOTEMPTY = 39, EXDEV = 18, EISDIR = 21, ENOTDIR = 20, EINVAL = 22;

    /// <summary>Renames unless the target exists (false then): no window between a check and the rename.</summary>
    public static bool TryRenameNoReplace(string from, string to)
    {
        if (Libc.renameat2(AtFdCwd, from, AtFdCwd, to, RenameNoReplace) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        throw new UnixIOException(errno, from);
    }

    /// <summary>rename(2): atomically replaces a file or an empty folder at the target.</summary>
    public static void Rename(string from, string to)
    {
        if (Libc.renameat2(AtFdCwd, from, AtFdCwd, to, 0) != 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), from);
    }

    public const int ReadAccess = 4, WriteAccess = 2, SearchAccess = 1;
    /// <summary>faccessat's flag: check with the effective ids, as the operation itself would be.</summary>
    internal const int AtEAccess = 0x200;

    /// <summary>Whether this process may read/write/search (a mask of the *Access values) the path, as the kernel would decide.</summary>
    public static bool CanAccess(string path, int mode) => Libc.faccessat(AtFdCwd, path, mode, AtEAccess) == 0;

    /// <summary>Makes a folder unless something exists there (false then).</summary>
    public static bool TryMakeDirectory(string path, int mode)
    {
        if (Libc.mkdir(path, (uint)mode) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        throw new UnixIOException(errno, path);
    }

    public const int ENOENT = 2, ENXIO = 6, EFBIG = 27, ENOSYS = 38, EOPNOTSUPP = 95;
    private const int FGetFl = 3, FSetFl = 4;

    /// <summary>
    /// Opens a regular file for reading, and nothing else. A FIFO, socket or device at the path is refused with
    /// ENXIO instead of opened: opening a FIFO blocks until someone writes to it, so a name swapped for one
    /// between a check and this open would hang the caller. O_NONBLOCK keeps the open itself from waiting, fstat
    /// then checks what was opened, and the flag is cleared again for the reads. A missing file is a
    /// <see cref="FileNotFoundException"/>; with <paramref name="followLinks"/> false, a link is ELOOP.
    /// </summary>
    public static SafeFileHandle OpenRegularForReading(string path, bool followLinks = true)
    {
        var fd = Libc.open(path, ORdOnly | ONonBlock | OCloExec | (followLinks ? 0 : ONoFollow));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == ENOENT ? new FileNotFoundException("no such file", path) : new UnixIOException(errno, path);
        }
        return RegularOnly(fd, path);
    }

    /// <summary>
    /// A new, empty file at a temporary name of the caller's own, for writing: whatever had that name is removed
    /// first (a leftover of an interrupted run, or a link or FIFO someone else put there), and the file is made
    /// with O_EXCL|O_NOFOLLOW, so what is written to is the file just made. Truncating in place would follow a
    /// link there into any file the user may write, and wait on a FIFO for ever. A folder there is EISDIR.
    /// </summary>
    public static SafeFileHandle ReplaceWithNewFile(string path, int mode)
    {
        if (Libc.unlinkat(AtFdCwd, path, 0) != 0 && Marshal.GetLastPInvokeError() is var errno and not ENOENT) throw new UnixIOException(errno, path);
        var fd = Libc.openat(AtFdCwd, path, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, (uint)mode);
        if (fd < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), path);
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Copies the rest of <paramref name="from"/> to <paramref name="to"/>, from both files' offsets: in the kernel
    /// with copy_file_range (a reflink where the file system shares blocks), with read and write where it cannot
    /// (another file system before Linux 5.19, or one without the call). Cancellation is checked every 64 MiB.
    /// </summary>
    public static void CopyData(SafeFileHandle from, SafeFileHandle to, CancellationToken ct)
    {
        const int Step = 64 << 20;
        long copied = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var n = Libc.copy_file_range((int)from.DangerousGetHandle(), 0, (int)to.DangerousGetHandle(), 0, Step, 0);
            if (n == 0) return;
            if (n > 0)
            {
                copied += n;
                continue;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno is EXDEV or EINVAL or ENOSYS or EOPNOTSUPP) break;
            throw new UnixIOException(errno, "copy_file_range");
        }
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = RandomAccess.Read(from, buffer, copied)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                RandomAccess.Write(to, buffer.AsSpan(0, read), copied);
                copied += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A small regular file's bytes, for the few files read whole (a job's port or password file, a user's
    /// authorized_keys): more than <paramref name="maxBytes"/> is EFBIG, so a link to /dev/zero or a huge file
    /// cannot fill the memory, and a FIFO is ENXIO, not a read that waits for a writer.
    /// </summary>
    public static byte[] ReadSmallRegularFile(string path, int maxBytes)
    {
        using var handle = OpenRegularForReading(path);
        var buffer = new byte[maxBytes + 1];
        int total = 0, n;
        while (total < buffer.Length && (n = RandomAccess.Read(handle, buffer.AsSpan(total), total)) > 0) total += n;
        if (total > maxBytes) throw new UnixIOException(EFBIG, path);
        return buffer[..total];
    }

    /// <summary>Takes a descriptor opened with O_NONBLOCK: a regular file's comes back blocking, anything else is closed and refused (ENXIO).</summary>
    internal static SafeFileHandle RegularOnly(int fd, string path)
    {
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (FileStat.Of(handle).Kind != FileKind.Regular) throw new UnixIOException(ENXIO, path);
            var flags = Libc.fcntl(fd, FGetFl, 0);
            if (flags < 0 || Libc.fcntl(fd, FSetFl, flags & ~ONonBlock) < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), path);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
