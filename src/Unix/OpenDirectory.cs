using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace UcloudIm.Unix;

/// <summary>A folder held open, so that many entries can be stat-ed relative to it.</summary>
[SupportedOSPlatform("linux")]
public sealed class OpenDirectory : IDisposable
{
    private const int ORdOnly = 0, ODirectory = 0x10000, OCloExec = 0x80000;

    public int Fd { get; private set; }

    private OpenDirectory(int fd) => Fd = fd;

    /// <summary>Opens <paramref name="path"/> as the calling user; errors carry their errno.</summary>
    public static OpenDirectory Open(string path)
    {
        var fd = Libc.open(path, ORdOnly | ODirectory | OCloExec);
        if (fd < 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), path);
        return new OpenDirectory(fd);
    }

    public void Dispose()
    {
        if (Fd < 0) return;
        Libc.close(Fd);
        Fd = -1;
    }
}
