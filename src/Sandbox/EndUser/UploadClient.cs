using System.Net.WebSockets;
using System.Threading.Channels;
using UcloudIm.Files.Upload;

namespace UcloudIm.Sandbox.EndUser;

/// <summary>A local file to send, with its path relative to the upload session.</summary>
public sealed record LocalFile(string RelativePath, string LocalPath, long Size, long ModifiedAtMs);

/// <summary>What an upload did; <paramref name="OverHttp2"/>: its sockets were HTTP/2 streams (RFC 8441), as browsers' are where offered.</summary>
public sealed record UploadReport(int Files, int Sent, int Skipped, long BytesSent, int Reconnects, bool OverHttp2 = false);

/// <summary>The provider closed a connection on purpose (bad input, a file it cannot write): retrying will not help.</summary>
public sealed class UploadRefusedException(string message) : Exception(message);

/// <summary>
/// The end-user's side of WEBSOCKET_V2, as UCloud's web app drives it: the files are spread over several
/// sockets; each socket lists its files, sends the ones the provider answers OK for in chunks, and waits
/// for COMPLETED to count them all before it sends CLOSE. A dropped connection is reopened with backoff
/// and the files listed again: the provider skips those it already has, so the upload resumes.
/// </summary>
public sealed class UploadClient(Uri endpoint, int sockets = 4, int chunkSize = 1 << 20, int maxAttempts = 10)
{
    /// <summary>Connections are made through this (for a private CA); null: the defaults.</summary>
    public HttpMessageInvoker? Invoker { get; init; }

    /// <summary>Sockets over HTTP/1.1 only (Safari, scripts), never as HTTP/2 streams.</summary>
    public bool Http1 { get; init; }

    private int _sent, _skipped, _reconnects;
    private volatile bool _overHttp2;
    private long _bytes;

    /// <summary>Called with a short line whenever something worth telling happens (reconnects).</summary>
    public Action<string>? Progress { get; init; }

    public static List<LocalFile> Collect(string localPath)
    {
        if (File.Exists(localPath))
        {
            var info = new FileInfo(localPath);
            return [new LocalFile(info.Name, info.FullName, info.Length, new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeMilliseconds())];
        }
        if (!Directory.Exists(localPath)) throw new FileNotFoundException($"{localPath} does not exist");
        var root = Path.GetFullPath(localPath);
        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f))
            .Select(i => new LocalFile(Path.GetRelativePath(root, i.FullName).Replace('\\', '/'), i.FullName, i.Length,
                new DateTimeOffset(i.LastWriteTimeUtc).ToUnixTimeMilliseconds()))
            .ToList();
    }

    public async Task<UploadReport> UploadAsync(IReadOnlyList<LocalFile> files, CancellationToken ct)
    {
        var n = Math.Max(1, Math.Min(sockets, files.Count));
        var workers = Enumerable.Range(0, n)
            .Select(w => WorkerAsync(Enumerable.Range(0, files.Count).Where(i => i % n == w).ToDictionary(i => i, i => files[i]), ct))
            .ToList();
        await Task.WhenAll(workers);
        return new UploadReport(files.Count, _sent, _skipped, _bytes, _reconnects, _overHttp2);
    }

    private async Task WorkerAsync(Dictionary<int, LocalFile> files, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ConnectionAsync(files, ct);
                return;
            }
            catch (Exception e) when (e is WebSocketException or IOException or TimeoutException or OperationCanceledException
                && attempt < maxAttempts && !ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref _reconnects);
                var delay = TimeSpan.FromMilliseconds(Math.Min(5000, 250 * (1 << Math.Min(attempt, 5))));
                Progress?.Invoke($"connection lost ({e.Message}); reconnecting in {delay.TotalSeconds:0.##} s (attempt {attempt + 1} of {maxAttempts})");
                await Task.Delay(delay, ct);
            }
        }
    }

    private async Task ConnectionAsync(Dictionary<int, LocalFile> files, CancellationToken ct)
    {
        using var socket = BrowserSocket.Create(Http1);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        socket.Options.CollectHttpResponseDetails = true;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connect.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await socket.ConnectAsync(endpoint, Invoker, connect.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException("the provider did not accept the connection within 30 s");
            }
        }
        // An HTTP/1.1 upgrade answers 101; an extended CONNECT over HTTP/2 answers 200.
        if (socket.HttpStatusCode == System.Net.HttpStatusCode.OK) _overHttp2 = true;
        var accepted = Channel.CreateUnbounded<int>();
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receive = ReceiveAsync(socket, files.Count, accepted.Writer, allDone, ct);

        foreach (var part in files.Select(f => new ListingEntry(f.Key, f.Value.Size, f.Value.ModifiedAtMs, f.Value.RelativePath)).Chunk(10_000))
            await socket.SendAsync(UploadProtocol.Listing(part), WebSocketMessageType.Binary, true, ct);

        using var sending = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var send = SendAcceptedAsync(socket, files, accepted.Reader, sending.Token);
        if (await Task.WhenAny(send, receive) == receive && receive.IsFaulted)
        {
            // The connection failed under a sender that may never notice: over HTTP/2 a reset stream can leave it
            // waiting for a flow-control window that will not open. Stop it, and report what the receiver saw.
            await sending.CancelAsync();
            socket.Abort();
            try { await send; } catch (Exception) when (!ct.IsCancellationRequested) { }
            await receive;
        }
        try
        {
            await send;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // A failed send is usually the echo of what the receiving side saw first (a refusal, a drop): say that.
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(2), ct));
            if (receive.IsFaulted) await receive;
            throw;
        }
        await receive;
        await socket.SendAsync(new[] { (byte)UploadOp.Close }, WebSocketMessageType.Binary, true, ct);
        using var bye = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bye.CancelAfter(TimeSpan.FromSeconds(10));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", bye.Token);
    }

    private async Task SendAcceptedAsync(ClientWebSocket socket, Dictionary<int, LocalFile> files, ChannelReader<int> accepted, CancellationToken ct)
    {
        var buffer = new byte[5 + chunkSize];
        await foreach (var id in accepted.ReadAllAsync(ct))
        {
            var file = files[id];
            await using var input = new FileStream(file.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            UploadProtocol.WriteChunkHeader(buffer, id);
            long left = file.Size;
            while (left > 0)
            {
                var read = await input.ReadAsync(buffer.AsMemory(5, (int)Math.Min(chunkSize, left)), ct);
                if (read == 0) throw new IOException($"{file.LocalPath} shrank while it was being uploaded");
                await socket.SendAsync(buffer.AsMemory(0, 5 + read), WebSocketMessageType.Binary, true, ct);
                left -= read;
                Interlocked.Add(ref _bytes, read);
            }
        }
    }

    /// <summary>Reads the provider's replies: OKs feed the sender; ends when COMPLETED counts every file.</summary>
    private async Task ReceiveAsync(ClientWebSocket socket, int total, ChannelWriter<int> accepted, TaskCompletionSource done, CancellationToken ct)
    {
        var buffer = new byte[64 << 10];
        var okCount = 0;
        var skipCount = 0;
        try
        {
            while (true)
            {
                using var frame = new MemoryStream();
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        var reason = socket.CloseStatusDescription;
                        if (socket.CloseStatus is WebSocketCloseStatus.PolicyViolation or WebSocketCloseStatus.InternalServerError)
                            throw new UploadRefusedException($"the provider refused the upload: {reason}");
                        throw new WebSocketException($"the provider closed the connection before the upload was complete ({socket.CloseStatus} {reason})");
                    }
                    frame.Write(buffer, 0, r.Count);
                }
                while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Text) continue; // "pong"
                foreach (var (op, value) in UploadProtocol.ParseReplies(frame.ToArray()))
                {
                    switch (op)
                    {
                        case UploadOp.Ok:
                            okCount++;
                            await accepted.WriteAsync(value, ct);
                            break;
                        case UploadOp.Skip:
                            skipCount++;
                            break;
                        case UploadOp.Completed when value >= total:
                            Interlocked.Add(ref _sent, okCount);
                            Interlocked.Add(ref _skipped, skipCount);
                            accepted.TryComplete();
                            return;
                    }
                }
            }
        }
        catch (Exception e)
        {
            accepted.TryComplete(e);
            throw;
        }
    }
}
