using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using UcloudIm.Contracts;
using UcloudIm.Files;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.UserInstance.Files;

/// <summary>
/// The open-file socket (<see cref="InstanceRoute.OpenFileSocketOf"/>). The gateway sends a download link's
/// token; this instance checks it, opens the file as the user and hands the open file back (SCM_RIGHTS). The
/// gateway then serves the bytes itself, Range and all, so they no longer cross this process and a second
/// HTTP hop. Guarded like the HTTP socket: only the gateway's uid, and only with this instance's secret.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class OpenFileListener(InstanceBootstrap bootstrap, UnixUser me, string socketPath, ILogger log) : IHostedService, IDisposable
{
    private const int MaxRequest = 16 * 1024;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly byte[] _key = Convert.FromBase64String(bootstrap.LinkKey);
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(bootstrap.Secret);
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _accepting;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        // As the HTTP socket: guarded by SO_PEERCRED and the secret, not by the mode.
        File.SetUnixFileMode(socketPath, (UnixFileMode)0b110_110_110);
        // The kernel's largest queue (net.core.somaxconn): a full queue refuses a unix connect at once (EAGAIN), so
        // with 64 a burst of a user's downloads (a page of links opened together) lost some to a 503.
        _listener.Listen();
        _accepting = AcceptAsync(_listener);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        if (_accepting is not null) await _accepting.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try { File.Delete(socketPath); } catch (IOException) { }
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var owned = connection;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(RequestTimeout);
        SafeHandle? file = null;
        Socket? archive = null;
        string? folder = null;
        try
        {
            var peer = PeerCredentials.Of(connection);
            if (peer.Uid != bootstrap.GatewayUid)
            {
                Log.Refused(log, $"open-file socket: uid {peer.Uid} is not the gateway");
                return;
            }
            var line = await ReadLineAsync(connection, timeout.Token);
            OpenFileReply reply;
            try
            {
                var request = line is null ? null : JsonSerializer.Deserialize(line, WireJson.Default.OpenFileRequest);
                if (request is null) throw ImException.BadRequest("Malformed open-file request");
                if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Secret), _secret))
                {
                    Log.Refused(log, "open-file socket: missing or wrong instance secret");
                    throw ImException.Unauthorized("Unauthorized");
                }
                (var opened, folder, var name) = DownloadEndpoints.OpenLinked(_key, me.Uid, request.Token);
                if (folder is null)
                {
                    file = opened;
                    reply = new OpenFileReply(200, Name: name);
                }
                else
                {
                    // A folder: the gateway gets one end of a socket pair and the archive is written into the other.
                    (archive, var given) = SocketPair.Create();
                    file = given;
                    reply = new OpenFileReply(200, Name: name, ContentType: FolderArchive.ContentType);
                }
            }
            catch (JsonException)
            {
                reply = new OpenFileReply(400, "Malformed open-file request", "BAD_REQUEST");
            }
            catch (ImException e)
            {
                reply = new OpenFileReply(e.StatusCode, e.Message, e.ErrorCode);
            }
            var bytes = JsonSerializer.SerializeToUtf8Bytes(reply, WireJson.Default.OpenFileReply);
            await DescriptorPassing.SendAsync(connection, (byte[])[.. bytes, (byte)'\n'], file, timeout.Token);
            if (archive is not null)
            {
                _ = ArchiveAsync(archive, folder!);
                archive = null;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            // The gateway went away or took too long to ask: nothing was handed over.
        }
        catch (Exception e)
        {
            Log.OpenFileFailed(log, e);
        }
        finally
        {
            // The gateway holds its own descriptor now (or none was sent).
            file?.Dispose();
            archive?.Dispose();
        }
    }

    /// <summary>Writes a folder's archive to the gateway's end of the pair, at the pace the browser reads it.</summary>
    private async Task ArchiveAsync(Socket socket, string folder)
    {
        using var _ = socket;
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var framed = new EndMarkedWriteStream(stream);
            await FolderArchive.WriteAsync(folder, framed, _stopping.Token);
            await framed.CompleteAsync(_stopping.Token);
            socket.Shutdown(SocketShutdown.Send);
            Log.FolderArchived(log, folder);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The browser went away (or this instance is stopping): the download ends short, as the browser sees.
            Log.FolderArchiveStopped(log, folder, e.Message);
        }
        catch (Exception e)
        {
            Log.OpenFileFailed(log, e);
        }
    }

    /// <summary>One request line, or null when the peer sends none or more than fits.</summary>
    private static async Task<string?> ReadLineAsync(Socket connection, CancellationToken ct)
    {
        var buffer = new byte[MaxRequest];
        var count = 0;
        while (count < buffer.Length)
        {
            var n = await connection.ReceiveAsync(buffer.AsMemory(count), SocketFlags.None, ct);
            if (n == 0) return null;
            var end = Array.IndexOf(buffer, (byte)'\n', count, n);
            count += n;
            if (end >= 0) return Encoding.UTF8.GetString(buffer, 0, end);
        }
        return null;
    }
}
