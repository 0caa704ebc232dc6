using System.Net.Sockets;
using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Hosting;

/// <summary>HTTP over a unix socket, optionally refusing a server that is not the uid we expect.</summary>
[SupportedOSPlatform("linux")]
public static class UnixSocketHttp
{
    /// <summary>
    /// A handler whose connections go to <paramref name="socketPath"/>. With <paramref name="expectedServerUid"/>,
    /// a socket that another user put in place is refused before a byte is sent.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(string socketPath, uint? expectedServerUid = null) => new()
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ConnectCallback = async (_, ct) => await ConnectAsync(socketPath, expectedServerUid, ct),
    };

    public static async Task<Stream> ConnectAsync(string socketPath, uint? expectedServerUid, CancellationToken ct) =>
        new NetworkStream(await ConnectSocketAsync(socketPath, expectedServerUid, ct), ownsSocket: true);

    /// <summary>A connected socket to <paramref name="socketPath"/>, refused (before a byte is sent) when another uid serves it.</summary>
    public static async Task<Socket> ConnectSocketAsync(string socketPath, uint? expectedServerUid, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
            if (expectedServerUid is { } uid)
            {
                var peer = PeerCredentials.Of(socket);
                if (peer.Uid != uid)
                    throw new PeerMismatchException($"{socketPath} is served by uid {peer.Uid}, expected uid {uid}");
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The process behind a unix socket is not the one we meant to talk to.</summary>
public sealed class PeerMismatchException(string message) : IOException(message);
