using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.AspNetCore.Http;
using Microsoft.Win32.SafeHandles;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Gateway.Downloads;

/// <summary>
/// A download made as it is sent (a folder's archive): the instance writes it, as the user, into a socket it
/// handed over, in <see cref="EndMarkedStream"/> frames. No length and no ranges; the browser's pace holds the
/// instance back. If the instance's stream ends without its end mark, the response is aborted, so the browser
/// reports a failed download instead of keeping a short file.
/// </summary>
[SupportedOSPlatform("linux")]
public static class StreamResponse
{
    public static async Task WriteAsync(HttpContext context, SafeFileHandle descriptor, string contentType, string name)
    {
        Socket socket;
        try
        {
            socket = SocketPair.Adopt(descriptor);
        }
        catch (SocketException)
        {
            await WireErrors.WriteAsync(context, 502, "The download could not be made", null);
            return;
        }
        using (socket)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            response.Headers.ContentDisposition = FileResponse.Attachment(name);
            response.Headers.CacheControl = "no-store";
            if (HttpMethods.IsHead(context.Request.Method)) return;
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            try
            {
                await EndMarkedStream.ReadAsync(stream, response.Body.WriteAsync, context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The browser went away; closing the socket stops the instance's writer.
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or SocketException)
            {
                // The instance stopped before the end: a short body must not pass for the whole one.
                context.Abort();
            }
        }
    }
}
