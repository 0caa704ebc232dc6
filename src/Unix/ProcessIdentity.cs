using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace UcloudIm.Unix;

/// <summary>Who this process runs as, and signals to other processes.</summary>
[SupportedOSPlatform("linux")]
public static class ProcessIdentity
{
    public static uint EffectiveUid => Libc.geteuid();

    public static uint EffectiveGid => Libc.getegid();

    /// <summary>
    /// The groups this process has now (getgroups, and its effective gid): what the kernel checks, which can
    /// lag the group database until the process is restarted.
    /// </summary>
    public static unsafe uint[] Groups()
    {
        var n = Libc.getgroups(0, null);
        if (n < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), "getgroups");
        var groups = new uint[n + 1];
        fixed (uint* p = groups) n = Libc.getgroups(n, p);
        if (n < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), "getgroups");
        groups[n] = EffectiveGid;
        return groups[..(n + 1)];
    }

    /// <summary>Sets the file-creation mask; returns the previous one.</summary>
    public static uint SetUmask(uint mask) => Libc.umask(mask);

    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    /// <summary>Sends <paramref name="signal"/>; false when the process is gone or not ours to signal.</summary>
    public static bool Signal(int pid, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        return Libc.kill(pid, signal) == 0;
    }
}
