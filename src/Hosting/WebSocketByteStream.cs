using System.Net.WebSockets;

namespace UcloudIm.Hosting;

/// <summary>
/// A WebSocket as a plain byte stream, both ways: each write is one binary message, and reads return the
/// bytes of whatever messages arrive. The proxy-mode tunnel runs HTTP/2 over it. A close from the other
/// side reads as the end of the stream; any failure of the socket is an <see cref="IOException"/>, which
/// is what HTTP/2 on either side treats as a dead connection.
/// </summary>
public sealed class WebSocketByteStream(WebSocket socket) : Stream
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the tunnel ends, from either side.</summary>
    public Task Closed => _closed.Task;

    public void Abort()
    {
        socket.Abort();
        _closed.TrySetResult();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer, cancellationToken);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult();
                    return 0;
                }
                if (r.Count > 0 || buffer.Length == 0) return r.Count;
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            _closed.TrySetResult();
            throw new IOException("the tunnel closed: " + e.Message, e);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return;
        try
        {
            await socket.SendAsync(buffer, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            _closed.TrySetResult();
            throw new IOException("the tunnel closed: " + e.Message, e);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", quick.Token); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        }
        socket.Dispose();
        _closed.TrySetResult();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Dispose();
            _closed.TrySetResult();
        }
        base.Dispose(disposing);
    }
}
