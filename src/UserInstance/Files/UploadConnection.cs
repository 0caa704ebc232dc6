using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging;
using UcloudIm.Files.Upload;

namespace UcloudIm.UserInstance.Files;

/// <summary>
/// Runs WEBSOCKET_V2 on one socket. Frames are read into one fixed buffer: a CHUNK's data is written to
/// disk piece by piece as it arrives (up to <see cref="WriteBatch"/> at a time), so memory does not grow with
/// chunk size, and the next piece is read only once the last one is written (back-pressure through TCP). Only
/// LISTING frames are held whole.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class UploadConnection
{
    public const int BufferSize = 1 << 20;

    /// <summary>
    /// Data is written once this much has arrived (or the frame ends), not per network read: a read is often one
    /// TLS record (16 KiB) through the gateway, and one write per read cost the instance twice the CPU per GiB.
    /// </summary>
    public const int WriteBatch = 256 << 10;
    public const int MaxListingBytes = 64 << 20;
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(WebSocket socket, UploadReceiver receiver, ILogger log, CancellationToken aborted)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var frame = new FrameReader(socket, buffer, idle);
        try
        {
            while (await frame.NextAsync())
            {
                if (frame.IsText)
                {
                    if (frame.Text == "ping") await socket.SendAsync("pong"u8.ToArray(), WebSocketMessageType.Text, true, aborted);
                    continue;
                }
                var closing = await HandleFrameAsync(frame, receiver);
                if (receiver.TakeReply() is { } reply) await socket.SendAsync(reply, WebSocketMessageType.Binary, true, aborted);
                if (closing)
                {
                    LogClosed(log, receiver.Processed);
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", aborted);
                    return;
                }
            }
            if (socket.State == WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", aborted);
        }
        catch (UploadProtocolException e)
        {
            LogRefused(log, e.Message);
            await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, e.Message);
        }
        catch (UploadFailedException e)
        {
            LogFailed(log, e.Message);
            await CloseAsync(socket, WebSocketCloseStatus.InternalServerError, e.Message);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away (or fell silent): unfinished files are discarded by the receiver; the
            // client resumes with the same link.
            LogDropped(log, idle.IsCancellationRequested && !aborted.IsCancellationRequested ? "idle" : e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles one binary frame; true when the client sent CLOSE.</summary>
    private static async Task<bool> HandleFrameAsync(FrameReader frame, UploadReceiver receiver)
    {
        if (!await frame.EnsureAsync(1)) throw new UploadProtocolException("an empty frame");
        if (frame.Span[0] == (byte)UploadOp.Listing)
        {
            receiver.OnListing(UploadProtocol.ParseListing(await frame.ReadWholeAsync(MaxListingBytes)));
            return false;
        }
        while (await frame.EnsureAsync(1))
        {
            var op = (UploadOp)frame.Span[0];
            switch (op)
            {
                case UploadOp.Close:
                    frame.Advance(1);
                    return true;
                case UploadOp.Skip:
                    if (!await frame.EnsureAsync(5)) throw new UploadProtocolException("a truncated SKIP");
                    receiver.OnSkip(BinaryPrimitives.ReadInt32BigEndian(frame.Span[1..]));
                    frame.Advance(5);
                    break;
                case UploadOp.Chunk:
                    if (!await frame.EnsureAsync(5)) throw new UploadProtocolException("a truncated CHUNK");
                    var id = BinaryPrimitives.ReadInt32BigEndian(frame.Span[1..]);
                    frame.Advance(5);
                    // The rest of the frame is this chunk's data, written as it arrives, a few pieces at a time.
                    var any = false;
                    do
                    {
                        await frame.GatherAsync(WriteBatch);
                        receiver.OnChunk(id, frame.Span);
                        any |= frame.Span.Length > 0;
                        frame.Advance(frame.Span.Length);
                    }
                    while (await frame.MoreAsync());
                    if (!any) receiver.OnChunk(id, []);
                    return false;
                default:
                    throw new UploadProtocolException($"unexpected opcode {(byte)op} from the client");
            }
        }
        return false;
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        // A close reason is at most 123 bytes of UTF-8.
        var bytes = Encoding.UTF8.GetBytes(reason);
        if (bytes.Length > 123) reason = Encoding.UTF8.GetString(bytes, 0, 120).TrimEnd('\uFFFD') + "...";
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.CloseAsync(status, reason, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    [LoggerMessage(20, LogLevel.Information, "upload connection closed by the client; {Processed} file(s) done")]
    private static partial void LogClosed(ILogger logger, int processed);

    [LoggerMessage(21, LogLevel.Warning, "upload refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(22, LogLevel.Warning, "upload failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(23, LogLevel.Information, "upload connection dropped ({Reason}); unfinished files discarded")]
    private static partial void LogDropped(ILogger logger, string reason);

    /// <summary>One WebSocket message at a time, through a fixed buffer.</summary>
    private sealed class FrameReader(WebSocket socket, byte[] buffer, CancellationTokenSource idle)
    {
        private int _start, _end;
        private bool _endOfMessage = true;

        public bool IsText { get; private set; }
        public string? Text { get; private set; }
        public ReadOnlySpan<byte> Span => buffer.AsSpan(_start, _end - _start);

        public void Advance(int n) => _start += n;

        /// <summary>Starts the next message (skipping what is left of this one); false when the socket closes.</summary>
        public async Task<bool> NextAsync()
        {
            while (!_endOfMessage)
            {
                _start = _end = 0;
                if (!await ReceiveAsync()) return false;
            }
            _start = _end = 0;
            if (!await ReceiveAsync()) return false;
            Text = null;
            if (IsText)
            {
                var text = new List<byte>(buffer.AsSpan(0, _end).ToArray());
                while (!_endOfMessage)
                {
                    _start = _end = 0;
                    await ReceiveAsync();
                    if (text.Count + _end > 4096) throw new UploadProtocolException("a text message longer than 4 KiB");
                    text.AddRange(buffer.AsSpan(0, _end).ToArray());
                }
                Text = Encoding.UTF8.GetString(text.ToArray());
            }
            return true;
        }

        /// <summary>At least <paramref name="n"/> bytes of this message at <see cref="Span"/>; false if the message ends first with none.</summary>
        public async Task<bool> EnsureAsync(int n)
        {
            await GatherAsync(n);
            if (_end - _start >= n) return true;
            if (_end - _start == 0) return false;
            throw new UploadProtocolException("a message is cut off at the end of its frame");
        }

        /// <summary>Reads on until <see cref="Span"/> holds at least <paramref name="n"/> bytes or the message ends.</summary>
        public async Task GatherAsync(int n)
        {
            while (_end - _start < n && !_endOfMessage)
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                await ReceiveAsync(append: true);
            }
        }

        /// <summary>Reads the next piece of this message into the (consumed) buffer; false at its end.</summary>
        public async Task<bool> MoreAsync()
        {
            if (_endOfMessage) return false;
            _start = _end = 0;
            await ReceiveAsync();
            return true;
        }

        public async Task<byte[]> ReadWholeAsync(int max)
        {
            using var whole = new MemoryStream();
            whole.Write(Span);
            while (await MoreAsync())
            {
                if (whole.Length + Span.Length > max) throw new UploadProtocolException($"a LISTING frame larger than {max >> 20} MiB; send the listing in parts");
                whole.Write(Span);
            }
            _start = _end;
            return whole.ToArray();
        }

        private async Task<bool> ReceiveAsync(bool append = false)
        {
            idle.CancelAfter(IdleTimeout);
            var r = await socket.ReceiveAsync(buffer.AsMemory(append ? _end : 0), idle.Token);
            if (r.MessageType == WebSocketMessageType.Close) { _endOfMessage = true; return false; }
            IsText = r.MessageType == WebSocketMessageType.Text;
            if (!append) _start = 0;
            _end = (append ? _end : 0) + r.Count;
            _endOfMessage = r.EndOfMessage;
            return true;
        }
    }
}
