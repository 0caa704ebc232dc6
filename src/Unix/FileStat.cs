using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace UcloudIm.Unix;

public enum FileKind { Regular, Directory, SymbolicLink, Other }

/// <summary>What statx(2) says of a path (by default not following a final symbolic link).</summary>
public readonly record struct FileStat(
    FileKind Kind, long Size, int Mode, uint Uid, uint Gid, long ModifiedAtMs, long AccessedAtMs, long ChangedAtMs, long? CreatedAtMs)
{
    /// <summary>ctime in nanoseconds: changes with every entry added, removed or renamed in a folder.</summary>
    public long ChangedAtNs { get; init; }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const uint StatxBirthTime = 0x800;

    /// <summary>The stat of <paramref name="path"/>; null when it does not exist. Other errors throw with errno.</summary>
    [SupportedOSPlatform("linux")]
    public static FileStat? Of(string path, bool followLinks = false) => At(AtFdCwd, path, followLinks);

    /// <summary>The stat of <paramref name="name"/> inside an open folder: no path walk from the root per entry.</summary>
    [SupportedOSPlatform("linux")]
    public static FileStat? Of(OpenDirectory directory, string name, bool followLinks = false) => At(directory.Fd, name, followLinks);

    /// <summary>The stat of an open file (fstat): what the holder of the descriptor has, whatever its path is now.</summary>
    [SupportedOSPlatform("linux")]
    public static FileStat Of(SafeHandle file)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return At((int)file.DangerousGetHandle(), "", AtEmptyPath) ?? throw new UnixIOException(2, "(open file)");
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    [SupportedOSPlatform("linux")]
    private static FileStat? At(int dirFd, string path, bool followLinks) => At(dirFd, path, followLinks ? 0 : AtSymlinkNoFollow);

    [SupportedOSPlatform("linux")]
    private static unsafe FileStat? At(int dirFd, string path, int flags)
    {
        Libc.StatxBuffer buf;
        if (Libc.statx(dirFd, path, flags, StatxBasicStats | StatxBirthTime, &buf) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) return null; // ENOENT, ENOTDIR
            throw new UnixIOException(errno, path);
        }
        var kind = (buf.Mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        return new FileStat(kind, (long)buf.Size, buf.Mode & 0xFFF, buf.Uid, buf.Gid,
            Ms(buf.ModifyTime), Ms(buf.AccessTime), Ms(buf.ChangeTime),
            (buf.Mask & StatxBirthTime) != 0 ? Ms(buf.BirthTime) : null)
        {
            ChangedAtNs = buf.ChangeTime.Seconds * 1_000_000_000 + buf.ChangeTime.Nanoseconds,
        };
    }

    [SupportedOSPlatform("linux")]
    private static long Ms(Libc.StatxTimestamp t) => t.Seconds * 1000 + t.Nanoseconds / 1_000_000;
}

/// <summary>A failed system call, with its errno kept so callers can map it (EACCES → 403, …).</summary>
public sealed class UnixIOException(int errno, string path)
    : IOException($"{Describe(errno)}: {path}", errno)
{
    public int Errno { get; } = errno;

    public bool IsPermissionDenied => Errno is 1 or 13; // EPERM, EACCES

    /// <summary>What went wrong, without the path.</summary>
    public string Reason => Describe(Errno);

    private static string Describe(int errno) => errno switch
    {
        1 => "operation not permitted",
        13 => "permission denied",
        2 => "no such file or directory",
        6 => "not a regular file (a FIFO, socket or device)", // ENXIO: what FileSystemCalls.RegularOnly says of those
        20 => "not a directory",
        27 => "larger than expected", // EFBIG: what FileSystemCalls.ReadSmallRegularFile says of a file over its limit
        40 => "too many levels of symbolic links",
        _ => $"errno {errno}",
    };
}
