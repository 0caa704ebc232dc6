using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace UcloudIm.Unix;

/// <summary>
/// Passing an open file from one process to another over a unix socket (SCM_RIGHTS): the receiver gets its
/// own descriptor of the same open file, with the access the sender had when it opened it, and nothing more.
/// </summary>
[SupportedOSPlatform("linux")]
public static partial class DescriptorPassing
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgNoSignal = 0x4000;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int MsgCtrunc = 0x8;
    private const int EAgain = 11;
    private const int EIntr = 4;

    // cmsghdr is { size_t len; int level; int type; } followed by the data, each aligned to 8 on LP64.
    private const int CmsgHeader = 16;
    private static readonly int CmsgSpaceOneFd = CmsgHeader + 8;

    /// <summary>
    /// Sends <paramref name="data"/> (at least one byte), with <paramref name="file"/>'s descriptor attached when
    /// it is given. Waits (polling) while the socket's buffer is full; a short message on a fresh socket never does.
    /// </summary>
    public static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data, SafeHandle? file, CancellationToken ct)
    {
        if (data.IsEmpty) throw new ArgumentException("a descriptor travels with at least one byte", nameof(data));
        var sent = 0;
        while (sent < data.Length)
        {
            var n = SendOnce(socket, data.Span[sent..], sent == 0 ? file : null);
            if (n < 0) { await Task.Delay(1, ct); continue; }
            sent += n;
        }
    }

    private static unsafe int SendOnce(Socket socket, ReadOnlySpan<byte> data, SafeHandle? file)
    {
        var added = false;
        try
        {
            file?.DangerousAddRef(ref added);
            byte* control = stackalloc byte[CmsgSpaceOneFd];
            fixed (byte* p = data)
            {
                var iov = new IoVec { Base = p, Length = (nuint)data.Length };
                var msg = new MsgHdr { Iov = &iov, IovLength = 1 };
                if (file is not null)
                {
                    new Span<byte>(control, CmsgSpaceOneFd).Clear();
                    *(nuint*)control = (nuint)(CmsgHeader + sizeof(int));
                    *(int*)(control + 8) = SolSocket;
                    *(int*)(control + 12) = ScmRights;
                    *(int*)(control + CmsgHeader) = (int)file.DangerousGetHandle();
                    msg.Control = control;
                    msg.ControlLength = (nuint)CmsgSpaceOneFd;
                }
                while (true)
                {
                    var n = sendmsg((int)socket.Handle, &msg, MsgNoSignal);
                    if (n >= 0) return (int)n;
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr) continue;
                    if (errno == EAgain) return -1;
                    throw new SocketException(errno);
                }
            }
        }
        finally
        {
            if (added) file!.DangerousRelease();
        }
    }

    /// <summary>
    /// Receives up to <paramref name="buffer"/>'s length, waiting for data first. A descriptor that came with the
    /// bytes is returned as a handle the caller owns (close-on-exec); more than one, or a truncated set, is closed
    /// and refused: the sender speaks our protocol or nothing.
    /// </summary>
    public static async Task<(int Count, SafeFileHandle? File)> ReceiveAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            // A peek waits for data without taking it, so the descriptor stays with its bytes for recvmsg.
            if (await socket.ReceiveAsync(buffer[..1], SocketFlags.Peek, ct) == 0) return (0, null);
            var (n, fd) = ReceiveOnce(socket, buffer.Span);
            if (n >= 0) return (n, fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null);
        }
    }

    private static unsafe (int Count, int Fd) ReceiveOnce(Socket socket, Span<byte> buffer)
    {
        // Room for a few descriptors, so that a sender that sent more is seen doing it (and they are closed).
        const int controlSize = CmsgHeader + 8 * sizeof(int);
        byte* control = stackalloc byte[controlSize];
        fixed (byte* p = buffer)
        {
            var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = controlSize };
            nint n;
            while ((n = recvmsg((int)socket.Handle, &msg, MsgCmsgCloexec)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr) continue;
                if (errno == EAgain) return (-1, -1);
                throw new SocketException(errno);
            }
            var fds = new List<int>();
            for (var c = msg.ControlLength >= CmsgHeader ? control : null; c != null;)
            {
                var len = *(nuint*)c;
                if (len < CmsgHeader || c + len > control + msg.ControlLength) break;
                if (*(int*)(c + 8) == SolSocket && *(int*)(c + 12) == ScmRights)
                {
                    for (var i = 0; i < ((int)len - CmsgHeader) / sizeof(int); i++) fds.Add(*(int*)(c + CmsgHeader + i * sizeof(int)));
                }
                var next = c + (((int)len + 7) & ~7);
                c = next + CmsgHeader <= control + msg.ControlLength ? next : null;
            }
            if (fds.Count > 1 || (msg.Flags & MsgCtrunc) != 0)
            {
                foreach (var fd in fds) close(fd);
                throw new IOException("the peer sent more descriptors than one");
            }
            return ((int)n, fds.Count == 1 ? fds[0] : -1);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
