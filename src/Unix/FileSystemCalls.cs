using System.Runtime.InteropServices;
using System.Runtime.Versioning;

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
}
