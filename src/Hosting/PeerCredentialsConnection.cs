using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using UcloudIm.Unix;

namespace UcloudIm.Hosting;

/// <summary>
/// Kestrel connection middleware for unix-socket listeners: reads SO_PEERCRED once per connection, drops
/// connections from processes that may not talk to us, and keeps the credentials for the request pipeline.
/// </summary>
[SupportedOSPlatform("linux")]
public static class PeerCredentialsConnection
{
    private const string ItemKey = "ucloud-im.peer";

    /// <param name="admit">Decides from the peer's uid whether the connection may proceed.</param>
    public static ListenOptions UsePeerCredentials(this ListenOptions options, Func<PeerCredentials, bool> admit, Action<PeerCredentials>? onRefused = null)
    {
        options.Use(next => async connection =>
        {
            var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
            if (socket is null || socket.AddressFamily != AddressFamily.Unix)
            {
                connection.Abort(new ConnectionAbortedException("peer credentials are only available on unix sockets"));
                return;
            }
            var peer = PeerCredentials.Of(socket);
            if (!admit(peer))
            {
                onRefused?.Invoke(peer);
                connection.Abort(new ConnectionAbortedException($"uid {peer.Uid} may not connect"));
                return;
            }
            connection.Items[ItemKey] = peer;
            await next(connection);
        });
        return options;
    }

    /// <summary>The credentials of the process that opened this request's connection.</summary>
    public static PeerCredentials? GetPeerCredentials(this HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var v) == true ? (PeerCredentials)v! : null;
}
