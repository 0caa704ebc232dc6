using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace UcloudIm.Unix;

/// <summary>
/// A connected pair of unix stream sockets (socketpair(2)): one end is kept, the other is handed to another
/// process (<see cref="DescriptorPassing"/>), which adopts it. What one writes the other reads, with the
/// kernel's back-pressure, and each side sees the other close.
/// </summary>
[SupportedOSPlatform("linux")]
public static unsafe partial class SocketPair
{
    private const int AfUnix = 1, SockStream = 1, SockCloexec = 0x80000;

    public static (Socket Kept, SafeSocketHandle Given) Create()
    {
        var fds = stackalloc int[2];
        if (socketpair(AfUnix, SockStream | SockCloexec, 0, fds) != 0) throw new UnixIOException(Marshal.GetLastPInvokeError(), "socketpair");
        var given = new SafeSocketHandle(fds[1], ownsHandle: true);
        try
        {
            return (new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)), given);
        }
        catch
        {
            given.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A socket received as a descriptor, as a <see cref="Socket"/>; throws if it is no socket. The socket does
    /// not own the descriptor: <paramref name="received"/> is disposed after it, and closes it.
    /// </summary>
    public static Socket Adopt(SafeFileHandle received) => new(new SafeSocketHandle(received.DangerousGetHandle(), ownsHandle: false));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socketpair(int domain, int type, int protocol, int* sv);
}
