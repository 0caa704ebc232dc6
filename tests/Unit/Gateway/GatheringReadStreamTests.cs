using UcloudIm.Gateway.Forwarding;

namespace UcloudIm.Tests.Unit.Gateway;

public sealed class GatheringReadStreamTests
{
    /// <summary>
    /// Bytes that arrive piece by piece, as from a connection: a read returns one piece (or what fits), at once
    /// if it has arrived and otherwise when it does; a zero-byte read waits the same way and takes nothing.
    /// </summary>
    private sealed class ArrivingStream : Stream
    {
        private readonly Queue<byte[]> _arrived = new();
        private int _taken; // of the first piece
        private TaskCompletionSource? _next;
        private bool _ended;
        private Exception? _failure;

        public void Arrive(params byte[] piece) { _arrived.Enqueue(piece); Wake(); }
        public void End() { _ended = true; Wake(); }
        public void Fail(Exception e) { _failure = e; Wake(); }

        private void Wake()
        {
            var waiting = _next;
            _next = null;
            waiting?.SetResult();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_arrived.Count == 0 && !_ended && _failure is null)
            {
                _next ??= new TaskCompletionSource();
                await _next.Task;
            }
            if (_failure is not null) throw _failure;
            if (buffer.IsEmpty || _arrived.Count == 0) return 0;
            var piece = _arrived.Peek().AsSpan(_taken);
            var n = Math.Min(piece.Length, buffer.Length);
            piece[..n].CopyTo(buffer.Span);
            _taken += n;
            if (n == piece.Length) (_taken, _) = (0, _arrived.Dequeue());
            return n;
        }

        public override bool CanRead => true;
        public override bool CanWrite => false;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A gathering stream over pieces that have arrived already (and more that may come).</summary>
    private static (ArrivingStream Inner, GatheringReadStream Stream) Over(params byte[][] arrived)
    {
        var inner = new ArrivingStream();
        foreach (var piece in arrived) inner.Arrive(piece);
        return (inner, new GatheringReadStream(inner));
    }

    [Fact]
    public async Task Pieces_that_have_arrived_come_back_in_one_read()
    {
        var (_, stream) = Over([1, 2, 3], [4, 5], [6]);
        var buffer = new byte[16];

        var read = stream.ReadAsync(buffer, Ct);

        Assert.True(read.IsCompleted); // nothing was waited for
        Assert.Equal(6, await read);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, buffer[..6]);
    }

    [Fact]
    public async Task A_read_never_waits_for_more_than_the_first_piece()
    {
        var (inner, stream) = Over([7]);
        var buffer = new byte[16];

        var first = stream.ReadAsync(buffer, Ct);
        Assert.True(first.IsCompleted); // a keystroke goes on alone, with nothing after it to wait for
        Assert.Equal(1, await first);

        // The copier's own wait for data is the one left pending: it ends when the next piece comes.
        var wait = stream.ReadAsync(Memory<byte>.Empty, Ct);
        Assert.False(wait.IsCompleted);
        inner.Arrive(8, 9);
        Assert.Equal(0, await wait);
        Assert.Equal(2, await stream.ReadAsync(buffer, Ct));
        Assert.Equal(new byte[] { 8, 9 }, buffer[..2]);
    }

    [Fact]
    public async Task A_read_without_a_wait_first_still_gets_the_next_piece()
    {
        var (inner, stream) = Over([1]);
        var buffer = new byte[16];
        Assert.Equal(1, await stream.ReadAsync(buffer, Ct));

        var read = stream.ReadAsync(buffer, Ct);
        Assert.False(read.IsCompleted);
        inner.Arrive(2);
        Assert.Equal(1, await read);
        Assert.Equal(2, buffer[0]);
    }

    [Fact]
    public async Task It_stops_at_the_end_of_the_buffer_and_keeps_the_rest()
    {
        var (_, stream) = Over([1, 2, 3], [4, 5, 6]);
        var buffer = new byte[4];

        Assert.Equal(4, await stream.ReadAsync(buffer, Ct));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, buffer);
        Assert.Equal(2, await stream.ReadAsync(buffer, Ct));
        Assert.Equal(new byte[] { 5, 6 }, buffer[..2]);
    }

    [Fact]
    public async Task The_end_of_the_stream_comes_after_what_was_gathered()
    {
        var (inner, stream) = Over([1, 2]);
        inner.End();
        var buffer = new byte[16];

        Assert.Equal(2, await stream.ReadAsync(buffer, Ct));
        Assert.Equal(0, await stream.ReadAsync(buffer, Ct));
    }

    [Fact]
    public async Task A_failure_while_waiting_reaches_the_next_read()
    {
        var (inner, stream) = Over([1]);
        Assert.Equal(1, await stream.ReadAsync(new byte[16], Ct));

        var wait = stream.ReadAsync(Memory<byte>.Empty, Ct);
        inner.Fail(new IOException("connection reset"));
        var e = await Assert.ThrowsAsync<IOException>(async () => await wait);
        Assert.Equal("connection reset", e.Message);
    }
}
