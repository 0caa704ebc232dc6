using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.Versioning;

namespace UcloudIm.Unix;

/// <summary>The process at the other end of a unix socket, as the kernel reports it (SO_PEERCRED).</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>Reads SO_PEERCRED. It cannot be forged by the peer: the kernel fills it at connect().</summary>
    [SupportedOSPlatform("linux")]
    public static PeerCredentials Of(Socket socket)
    {
        if (socket.AddressFamily != AddressFamily.Unix)
            throw new ArgumentException("peer credentials exist only for unix sockets", nameof(socket));
        Span<byte> ucred = stackalloc byte[12];
        var n = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (n != 12) throw new SocketException((int)SocketError.ProtocolNotSupported);
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }
}
