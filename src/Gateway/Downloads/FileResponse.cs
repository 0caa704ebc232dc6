using System.Runtime.Versioning;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;
using UcloudIm.Unix;

namespace UcloudIm.Gateway.Downloads;

/// <summary>
/// Writes an open file as a download: headers from <see cref="DownloadPlan"/>, then the bytes read straight into
/// the response's pipe in large chunks. ASP.NET Core's file results copy through a 64 KiB buffer with a thread
/// pool hop per chunk; reading into the pipe in 1 MiB steps (one pooled buffer per download in flight) is what
/// brought the gateway level with nginx's sendfile (bench/download-1g.sh: median 0.89-1.03x; 256 KiB gave 0.83x).
/// </summary>
[SupportedOSPlatform("linux")]
public static class FileResponse
{
    private const int Chunk = 1024 * 1024;

    public static async Task WriteAsync(HttpContext context, SafeFileHandle file, FileStat stat, string name)
    {
        var lastModified = DateTimeOffset.FromUnixTimeMilliseconds(stat.ModifiedAtMs);
        var etag = new EntityTagHeaderValue($"\"{stat.Size:x}-{stat.ModifiedAtMs:x}\"");
        var plan = DownloadPlan.For(context.Request, stat.Size, lastModified, etag);

        var response = context.Response;
        var headers = response.GetTypedHeaders();
        response.StatusCode = plan.Status;
        headers.LastModified = lastModified;
        headers.ETag = etag;
        response.Headers.AcceptRanges = "bytes";
        if (plan.Status == StatusCodes.Status416RangeNotSatisfiable)
        {
            headers.ContentRange = new ContentRangeHeaderValue(stat.Size);
            response.ContentLength = 0;
            return;
        }
        if (plan.Status is StatusCodes.Status304NotModified or StatusCodes.Status412PreconditionFailed) return;

        response.ContentType = "application/octet-stream";
        response.Headers.ContentDisposition = Attachment(name);
        if (plan.Status == StatusCodes.Status206PartialContent)
            headers.ContentRange = new ContentRangeHeaderValue(plan.From, plan.From + plan.Count - 1, stat.Size);
        response.ContentLength = plan.Count;
        if (HttpMethods.IsHead(context.Request.Method) || plan.Count == 0) return;

        var writer = response.BodyWriter;
        var position = plan.From;
        var end = plan.From + plan.Count;
        try
        {
            while (position < end)
            {
                var memory = writer.GetMemory((int)Math.Min(Chunk, end - position));
                var want = (int)Math.Min(memory.Length, end - position);
                // Page-cache reads take microseconds: done here, not handed to the thread pool and back.
                var n = RandomAccess.Read(file, memory.Span[..want], position);
                if (n == 0)
                {
                    // The file shrank under us: a short body must not pass for the whole one.
                    context.Abort();
                    return;
                }
                writer.Advance(n);
                position += n;
                var flushed = await writer.FlushAsync(context.RequestAborted);
                if (flushed.IsCanceled || flushed.IsCompleted) return;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The browser went away.
        }
        catch (IOException)
        {
            // A read error mid-file: end the connection so the client sees a failed download, not a short one.
            context.Abort();
        }
    }

    /// <summary>filename="…" with the name made ASCII-safe, and filename*=UTF-8''… with the name itself.</summary>
    internal static string Attachment(string name)
    {
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(name);
        return disposition.ToString();
    }
}
