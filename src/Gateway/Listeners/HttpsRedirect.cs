using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using UcloudIm.Configuration;

namespace UcloudIm.Gateway.Listeners;

/// <summary>
/// Direct mode's port 80: every request on it gets a redirect to the same host, path and query over HTTPS,
/// and nothing else. The connection is marked when accepted, so no request on it can reach the pipeline.
/// </summary>
public static class HttpsRedirect
{
    private static readonly object Marker = new();

    public static ConnectionDelegate MarkConnection(ConnectionDelegate next) => connection =>
    {
        connection.Items[Marker] = true;
        return next(connection);
    };

    public static Func<HttpContext, RequestDelegate, Task> Middleware(TlsOptions tls, HostAddress selfPublic) => (context, next) =>
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null || !items.ContainsKey(Marker)) return next(context);
        // 308 keeps the method; a body sent in clear text has leaked already, but it goes no further.
        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = Target(context.Request.Host.Host, context.Request.PathBase + context.Request.Path, context.Request.QueryString.Value, tls, selfPublic);
        return Task.CompletedTask;
    };

    /// <summary>The HTTPS URL; a Host that is not a plain name or address is replaced by the provider's own.</summary>
    public static string Target(string? host, string path, string? query, TlsOptions tls, HostAddress selfPublic)
    {
        if (string.IsNullOrEmpty(host) || Uri.CheckHostName(host) == UriHostNameType.Unknown) host = selfPublic.Address;
        var port = selfPublic.Scheme == "https" ? selfPublic.Port : tls.Port;
        return $"https://{host}{(port == 443 ? "" : ":" + port)}{path}{query}";
    }
}
