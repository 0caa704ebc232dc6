using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using UcloudIm.Contracts;

namespace UcloudIm.Hosting;

/// <summary>An expected failure with its HTTP status and a message for the end-user.</summary>
public sealed class ImException(int statusCode, string why, string? errorCode = null, Exception? inner = null)
    : Exception(why, inner)
{
    public int StatusCode { get; } = statusCode;
    public string? ErrorCode { get; } = errorCode;

    public static ImException BadRequest(string why, string? code = null) => new(400, why, code);
    public static ImException NotFound(string why) => new(404, why, "NOT_FOUND");
    public static ImException Forbidden(string why) => new(403, why, "FORBIDDEN");
    public static ImException Unauthorized(string why) => new(401, why, "UNAUTHORIZED");
}

/// <summary>The one place that turns failures into the wire error format.</summary>
public static class WireErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string why, string? errorCode = null)
    {
        if (context.Response.HasStarted) { context.Abort(); return; }
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        // Go's HttpErr upper-cases the first letter; Core shows `why` to the end-user as is.
        var text = why.Length > 0 ? char.ToUpperInvariant(why[0]) + why[1..] : why;
        await JsonSerializer.SerializeAsync(context.Response.Body, new WireError(status, text, errorCode), WireJson.Default.WireError);
    }

    /// <summary>Maps ImException to its status, bad JSON to 400, and anything else to 500 with no details.</summary>
    public static IApplicationBuilder UseWireErrors(this IApplicationBuilder app, Action<HttpContext, Exception>? logUnexpected = null) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ImException e)
            {
                await WriteAsync(context, e.StatusCode, e.Message, e.ErrorCode);
            }
            catch (BadHttpRequestException e)
            {
                await WriteAsync(context, e.StatusCode, e.Message, "BAD_REQUEST");
            }
            catch (JsonException e)
            {
                await WriteAsync(context, 400, $"The request body is not valid JSON: {e.Message}", "BAD_REQUEST");
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
            }
            catch (Exception e)
            {
                logUnexpected?.Invoke(context, e);
                await WriteAsync(context, 500, "Internal server error", "INTERNAL_ERROR");
            }
        });
}
