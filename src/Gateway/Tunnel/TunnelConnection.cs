using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace UcloudIm.Gateway.Tunnel;

/// <summary>
/// One tunnel, handed to Kestrel as if it were an accepted socket: Kestrel speaks HTTP/2 over it, so every
/// request the relay sends is one stream of this connection. When Kestrel is done with it (the relay went
/// away, the keep-alive failed, or shutdown), <see cref="Closed"/> completes and the listener dials again.
/// </summary>
internal sealed class TunnelConnection : ConnectionContext
{
    private readonly UcloudIm.Hosting.WebSocketByteStream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static long _next;

    public TunnelConnection(UcloudIm.Hosting.WebSocketByteStream stream, EndPoint local)
    {
        _stream = stream;
        Transport = new Duplex(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 << 10, minimumReadSize: 16 << 10, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
        LocalEndPoint = local;
        ConnectionClosed = _closed.Token;
        Features.Set(RelayScheme.FromRelay.Instance);
    }

    /// <summary>Kestrel is done with the connection, or the WebSocket under it ended (whichever comes first).</summary>
    public Task Closed => Task.WhenAny(_done.Task, _stream.Closed);

    public override string ConnectionId { get; set; } = "tunnel-" + Interlocked.Increment(ref _next);
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _closed.Cancel();
        try { _stream.Dispose(); }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            // Completing the writer flushes what is left: on a dead tunnel that fails, and must not keep the
            // listener from dialling again.
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
            await _stream.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            await _closed.CancelAsync();
            _done.TrySetResult();
        }
        await base.DisposeAsync();
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
