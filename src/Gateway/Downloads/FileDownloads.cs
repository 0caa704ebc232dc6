using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Gateway.Downloads;

/// <summary>
/// A browser's download link, served by the gateway itself from a file the user's instance opened as the user
/// and handed over (SCM_RIGHTS on the instance's open-file socket). The instance checks the link and the user's
/// permission; the gateway never opens a user's path, and the bytes cross no other process or socket.
/// Range and the conditional requests: <see cref="DownloadPlan"/>; the bytes: <see cref="FileResponse"/>.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class FileDownloads(ILogger<FileDownloads> log)
{
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);
    private const int MaxReply = 16 * 1024;

    public async Task ServeAsync(HttpContext context, InstanceRoute route)
    {
        var token = context.Request.Query["token"];
        OpenFileReply reply;
        SafeFileHandle? file;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            timeout.CancelAfter(OpenTimeout);
            try
            {
                (reply, file) = await OpenAsync(route, token.Count == 1 ? token[0] ?? "" : "", timeout.Token);
            }
            catch (Exception e) when (e is SocketException or IOException or JsonException
                                      || (e is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
            {
                // The instance went away between lookup and use (reaped, crashed) or is stuck: Core or the browser retries.
                LogOpenFailed(log, route.UcloudUsername, e.Message);
                await WireErrors.WriteAsync(context, 503, "The service is temporarily unavailable, try again", "UNAVAILABLE");
                return;
            }
        }
        using (file)
        {
            if (reply.Status != 200 || file is null || reply.Name is null)
            {
                await WireErrors.WriteAsync(context, reply.Status == 200 ? 502 : reply.Status, reply.Why ?? "The file could not be opened", reply.ErrorCode);
                return;
            }
            if (reply.ContentType is not null)
            {
                // A folder: the descriptor is a socket the instance writes the archive into, as the user.
                context.Response.Headers.AccessControlAllowOrigin = "*";
                await StreamResponse.WriteAsync(context, file, reply.ContentType, reply.Name);
                return;
            }
            // What the descriptor is now, not what its path was: only a regular file is streamed.
            var stat = FileStat.Of(file);
            if (stat.Kind != FileKind.Regular)
            {
                await WireErrors.WriteAsync(context, 502, "The file could not be opened", null);
                return;
            }
            context.Response.Headers.AccessControlAllowOrigin = "*";
            await FileResponse.WriteAsync(context, file, stat, reply.Name);
        }
    }

    private static async Task<(OpenFileReply Reply, SafeFileHandle? File)> OpenAsync(InstanceRoute route, string token, CancellationToken ct)
    {
        using var socket = await UnixSocketHttp.ConnectSocketAsync(InstanceRoute.OpenFileSocketOf(route.SocketPath), route.Uid, ct);
        var request = JsonSerializer.SerializeToUtf8Bytes(new OpenFileRequest(route.Secret, token), WireJson.Default.OpenFileRequest);
        await socket.SendAsync((byte[])[.. request, (byte)'\n'], SocketFlags.None, ct);
        var buffer = new byte[MaxReply];
        var count = 0;
        SafeFileHandle? file = null;
        try
        {
            while (Array.IndexOf(buffer, (byte)'\n', 0, count) < 0)
            {
                if (count == buffer.Length) throw new IOException("the instance's answer is too long");
                var (n, received) = await DescriptorPassing.ReceiveAsync(socket, buffer.AsMemory(count), ct);
                if (received is not null)
                {
                    if (file is not null) { received.Dispose(); throw new IOException("the instance sent two files"); }
                    file = received;
                }
                if (n == 0) throw new IOException("the instance closed the open-file socket without an answer");
                count += n;
            }
            var reply = JsonSerializer.Deserialize(buffer.AsSpan(0, Array.IndexOf(buffer, (byte)'\n', 0, count)), WireJson.Default.OpenFileReply)
                ?? throw new JsonException("empty answer");
            return (reply, file);
        }
        catch
        {
            file?.Dispose();
            throw;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "opening a download for {User} failed: {Message}")]
    private static partial void LogOpenFailed(ILogger logger, string user, string message);
}
