using System.Net.WebSockets;
using System.Threading.Channels;
using UcloudIm.Hosting;

namespace UcloudIm.Sandbox.Relay;

/// <summary>
/// The relay's tunnels from the provider's gateway. A tunnel waits here until the HTTP/2 client takes it as
/// its connection; the client holds one at a time and, when it dies, takes the next one the gateway dials.
/// A request that finds no tunnel waits <see cref="ConnectWait"/> for one, then fails: it never hangs.
/// </summary>
public sealed class RelayHub
{
    public static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(10);

    private readonly Channel<WebSocketByteStream> _waiting = Channel.CreateUnbounded<WebSocketByteStream>();
    private readonly Lock _lock = new();
    private readonly List<WebSocketByteStream> _live = [];
    private long _accepted;

    public long Accepted => Interlocked.Read(ref _accepted);

    public int Live
    {
        get { lock (_lock) return _live.Count(t => !t.Closed.IsCompleted); }
    }

    /// <summary>Offers a gateway's WebSocket as a tunnel; completes when the tunnel is over.</summary>
    public async Task ServeAsync(WebSocket socket, CancellationToken ct)
    {
        var tunnel = new WebSocketByteStream(socket);
        Interlocked.Increment(ref _accepted);
        lock (_lock)
        {
            _live.RemoveAll(t => t.Closed.IsCompleted);
            _live.Add(tunnel);
        }
        await _waiting.Writer.WriteAsync(tunnel, ct);
        try
        {
            await tunnel.Closed.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            tunnel.Abort();
        }
    }

    /// <summary>The HTTP/2 client's ConnectCallback: the next tunnel that is still open.</summary>
    public async ValueTask<Stream> TakeAsync(CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(ConnectWait);
        try
        {
            while (true)
            {
                var tunnel = await _waiting.Reader.ReadAsync(wait.Token);
                if (!tunnel.Closed.IsCompleted) return tunnel;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new IOException($"the provider has no tunnel to the relay (waited {ConnectWait.TotalSeconds:0} s)");
        }
    }

    /// <summary>Cuts every tunnel at once, as a network failure would (for tests and the operator).</summary>
    public int Cut()
    {
        lock (_lock)
        {
            var n = _live.Count(t => !t.Closed.IsCompleted);
            foreach (var t in _live) t.Abort();
            _live.Clear();
            return n;
        }
    }
}
