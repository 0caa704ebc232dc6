using System.Net;
using System.Net.WebSockets;

namespace UcloudIm.Sandbox.EndUser;

/// <summary>
/// A WebSocket opened as browsers open theirs: over HTTP/2 (RFC 8441's extended CONNECT) when the provider's
/// HTTPS offers it, as Chrome and Firefox do with any server that advertises it (Kestrel does), and over HTTP/1.1
/// otherwise. The gateway must carry both, and HTTP/2's flow-control windows then apply to uploads.
/// <paramref name="http1"/>: HTTP/1.1 only, as Safari and scripts open theirs.
/// </summary>
public static class BrowserSocket
{
    public static ClientWebSocket Create(bool http1 = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = http1 ? HttpVersion.Version11 : HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        return socket;
    }
}
