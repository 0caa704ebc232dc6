using System.Buffers;
using System.Buffers.Binary;

namespace UcloudIm.Hosting;

/// <summary>
/// A byte stream between two local processes that says whether it ended whole: data travels in frames
/// (a 4-byte big-endian length, then that many bytes) and a frame of length 0 ends it. A reader that meets
/// the end of the connection before that frame knows the writer failed, and can fail its own client
/// (an HTTP download cut short must not look complete).
/// </summary>
public static class EndMarkedStream
{
    public const int MaxFrame = 1 << 20;

    /// <summary>
    /// Reads frames from <paramref name="inner"/> and hands each piece of data to <paramref name="deliver"/>;
    /// returns when the end mark comes. Throws <see cref="EndOfStreamException"/> if the connection ends first,
    /// and <see cref="InvalidDataException"/> on a frame longer than <see cref="MaxFrame"/>.
    /// </summary>
    public static async Task ReadAsync(Stream inner, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> deliver, CancellationToken ct)
    {
        var header = new byte[4];
        // Pooled: one per download in flight, not a new large-object allocation each time.
        var buffer = ArrayPool<byte>.Shared.Rent(MaxFrame);
        try
        {
            await ReadFramesAsync(inner, header, buffer, deliver, ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ReadFramesAsync(Stream inner, byte[] header, byte[] buffer, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> deliver, CancellationToken ct)
    {
        while (true)
        {
            await inner.ReadExactlyAsync(header, ct);
            var left = BinaryPrimitives.ReadInt32BigEndian(header);
            if (left == 0) return;
            if (left is < 0 or > MaxFrame) throw new InvalidDataException($"a frame of {left} bytes");
            while (left > 0)
            {
                var n = await inner.ReadAsync(buffer.AsMemory(0, Math.Min(left, buffer.Length)), ct);
                if (n == 0) throw new EndOfStreamException("the writer went away in the middle of a frame");
                await deliver(buffer.AsMemory(0, n), ct);
                left -= n;
            }
        }
    }
}

/// <summary>
/// Writes <see cref="EndMarkedStream"/> frames to <paramref name="inner"/>: what is written is gathered into
/// frames of up to <see cref="EndMarkedStream.MaxFrame"/> bytes (one write each, header included);
/// <see cref="CompleteAsync"/> sends the last one and the end mark.
/// </summary>
public sealed class EndMarkedWriteStream(Stream inner) : Stream
{
    private const int Header = 4;
    private readonly byte[] _frame = new byte[Header + EndMarkedStream.MaxFrame];
    private int _filled = Header;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Take(buffer);
            buffer = buffer[n..];
            if (_filled == _frame.Length) Flush();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = Take(buffer.Span);
            buffer = buffer[n..];
            if (_filled == _frame.Length) await FlushAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Everything was written: the last frame, then the end mark.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        await FlushAsync(ct);
        await inner.WriteAsync(new byte[Header], ct);
        await inner.FlushAsync(ct);
    }

    /// <summary>Sends what is gathered as one frame (nothing if it is empty: an empty frame would be the end mark).</summary>
    public override void Flush()
    {
        if (_filled == Header) return;
        BinaryPrimitives.WriteInt32BigEndian(_frame, _filled - Header);
        inner.Write(_frame, 0, _filled);
        _filled = Header;
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_filled == Header) return;
        BinaryPrimitives.WriteInt32BigEndian(_frame, _filled - Header);
        await inner.WriteAsync(_frame.AsMemory(0, _filled), cancellationToken);
        _filled = Header;
    }

    private int Take(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, _frame.Length - _filled);
        data[..n].CopyTo(_frame.AsSpan(_filled));
        _filled += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
