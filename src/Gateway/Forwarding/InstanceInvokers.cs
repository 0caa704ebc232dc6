using System.Runtime.Versioning;
using UcloudIm.Contracts;
using UcloudIm.Hosting;

namespace UcloudIm.Gateway.Forwarding;

/// <summary>
/// One pooled HTTP client per user instance. Its connections refuse a socket not served by the instance's
/// own uid, so a socket another user planted can never receive a request meant for someone else.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceInvokers : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string SocketPath, uint Uid, HttpMessageInvoker Invoker)> _byUser = new(StringComparer.Ordinal);

    public HttpMessageInvoker For(InstanceRoute route)
    {
        lock (_lock)
        {
            if (_byUser.TryGetValue(route.UcloudUsername, out var e))
            {
                if (e.SocketPath == route.SocketPath && e.Uid == route.Uid) return e.Invoker;
                // The instance was restarted: its old socket is gone, and so is every connection to it.
                e.Invoker.Dispose();
            }
            var invoker = new HttpMessageInvoker(UnixSocketHttp.CreateHandler(route.SocketPath, route.Uid), disposeHandler: true);
            _byUser[route.UcloudUsername] = (route.SocketPath, route.Uid, invoker);
            return invoker;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var e in _byUser.Values) e.Invoker.Dispose();
            _byUser.Clear();
        }
    }
}
