using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Headers;
using Microsoft.Net.Http.Headers;

namespace UcloudIm.Gateway.Downloads;

/// <summary>
/// What a GET or HEAD of a file answers, from its request headers: the conditional requests of RFC 9110
/// §13 (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, If-Range, in that order) and one
/// byte range (§14). Several ranges are answered with the whole file, as ASP.NET Core's file results do.
/// Pure, so it is unit tested; <see cref="FileResponse"/> writes what it decides.
/// </summary>
public readonly record struct DownloadPlan(int Status, long From, long Count)
{
    public static DownloadPlan For(HttpRequest request, long length, DateTimeOffset lastModified, EntityTagHeaderValue etag)
    {
        var headers = request.GetTypedHeaders();
        // HTTP dates have whole seconds: compare what the client can have seen.
        var modified = lastModified.AddTicks(-(lastModified.Ticks % TimeSpan.TicksPerSecond));
        var whole = new DownloadPlan(StatusCodes.Status200OK, 0, length);

        if (headers.IfMatch is { Count: > 0 } ifMatch)
        {
            if (!ifMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: true)))
                return new DownloadPlan(StatusCodes.Status412PreconditionFailed, 0, 0);
        }
        else if (headers.IfUnmodifiedSince is { } unmodifiedSince && modified > unmodifiedSince)
        {
            return new DownloadPlan(StatusCodes.Status412PreconditionFailed, 0, 0);
        }

        if (headers.IfNoneMatch is { Count: > 0 } ifNoneMatch)
        {
            if (ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
                return new DownloadPlan(StatusCodes.Status304NotModified, 0, 0);
        }
        else if (headers.IfModifiedSince is { } modifiedSince && modified <= modifiedSince)
        {
            return new DownloadPlan(StatusCodes.Status304NotModified, 0, 0);
        }

        if (!HttpMethods.IsGet(request.Method) || headers.Range is not { } range || length == 0) return whole;
        if (!string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count != 1) return whole;
        if (headers.IfRange is { } ifRange)
        {
            // A changed file is sent whole: the client's partial copy is of another version.
            var same = ifRange.EntityTag is { } tag ? tag.Compare(etag, useStrongComparison: true) : ifRange.LastModified == modified;
            if (!same) return whole;
        }
        var r = range.Ranges.Single();
        long from, to;
        if (r.From is { } f)
        {
            if (f >= length) return new DownloadPlan(StatusCodes.Status416RangeNotSatisfiable, 0, 0);
            from = f;
            to = Math.Min(r.To ?? length - 1, length - 1);
        }
        else if (r.To is { } suffix && suffix > 0)
        {
            from = Math.Max(0, length - suffix);
            to = length - 1;
        }
        else
        {
            return new DownloadPlan(StatusCodes.Status416RangeNotSatisfiable, 0, 0);
        }
        return new DownloadPlan(StatusCodes.Status206PartialContent, from, to - from + 1);
    }
}
