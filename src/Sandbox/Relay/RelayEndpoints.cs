using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using UcloudIm.Hosting;
using UcloudIm.Sandbox.Core;
using Yarp.ReverseProxy.Forwarder;

namespace UcloudIm.Sandbox.Relay;

/// <summary>
/// The "UCloud-controlled server" of proxy mode. The provider's gateway dials <c>/relay/tunnel</c> with its
/// relay token; everything for the provider (<c>/ucloud/…</c>: Core's calls and end-users' downloads,
/// uploads and streams; with an apps domain, its interactive applications too) is then sent down that tunnel as
/// HTTP/2, WebSockets included.
/// </summary>
public static class RelayEndpoints
{
    private static readonly ForwarderRequestConfig OverTunnel = new()
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = TimeSpan.FromMinutes(10),
    };

    public static void AddRelay(this IServiceCollection services)
    {
        services.AddSingleton<RelayHub>();
        services.AddHttpForwarder();
        services.AddSingleton(sp =>
        {
            var hub = sp.GetRequiredService<RelayHub>();
            return new HttpMessageInvoker(new SocketsHttpHandler
            {
                ConnectCallback = (_, ct) => hub.TakeAsync(ct),
                // One connection, kept: the gateway holds one tunnel and HTTP/2 multiplexes over it.
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                EnableMultipleHttp2Connections = false,
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
            });
        });
    }

    public static void MapRelay(this IEndpointRouteBuilder app)
    {
        app.Map("/relay/tunnel", async (HttpContext context, SandboxState state, RelayHub hub) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await WireErrors.WriteAsync(context, 400, "The tunnel is a WebSocket", "BAD_REQUEST");
                return;
            }
            if (!Authorized(context.Request.Headers.Authorization.ToString(), state.RelayToken))
            {
                await WireErrors.WriteAsync(context, 401, "Unknown provider or wrong relay token", "UNAUTHORIZED");
                return;
            }
            var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = TimeSpan.FromSeconds(10),
                KeepAliveTimeout = TimeSpan.FromSeconds(20),
            });
            await hub.ServeAsync(socket, context.RequestAborted);
        });

        app.Map("/ucloud/{**rest}", DownTheTunnelAsync);

        app.MapGet("/sandbox/relay", (RelayHub hub) => Results.Json(new RelayStatus(hub.Live, hub.Accepted), RelayJson.Default.RelayStatus));
        app.MapPost("/sandbox/relay/cut", (RelayHub hub) => Results.Json(new RelayStatus(hub.Cut(), hub.Accepted), RelayJson.Default.RelayStatus));
    }

    /// <summary>
    /// Every request for a host one label under <paramref name="domain"/> (the provider's interactive
    /// applications, <c>gateway.apps.domain</c>), whatever its path, goes down the tunnel too.
    /// </summary>
    public static void UseRelayApps(this IApplicationBuilder app, string domain)
    {
        var apps = new AppsDomain(domain);
        app.Use((context, next) =>
            apps.HostOf(context.Request.Host.Host) is not null
                ? DownTheTunnelAsync(context, context.RequestServices.GetRequiredService<IHttpForwarder>(), context.RequestServices.GetRequiredService<HttpMessageInvoker>())
                : next(context));
    }

    private static async Task DownTheTunnelAsync(HttpContext context, IHttpForwarder forwarder, HttpMessageInvoker tunnel)
    {
        var error = await forwarder.SendAsync(context, "http://provider.tunnel", tunnel, OverTunnel, KeepHost.Instance);
        if (error == ForwarderError.None || context.Response.HasStarted) return;
        // The tunnel is down (or went down mid-request): a clear 503 that Core and browsers retry.
        context.Response.Clear();
        await WireErrors.WriteAsync(context, 503, "The provider is not connected to the relay right now; try again shortly", "UNAVAILABLE");
    }

    private static bool Authorized(string header, string? token)
    {
        if (token is null || !header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[7..])), SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>
    /// The request as it came, with the Host the client used (the provider's gateway may route on it), and the
    /// scheme the client reached the relay with in X-Forwarded-Proto: the relay's own word, never the client's.
    /// </summary>
    private sealed class KeepHost : HttpTransformer
    {
        public static readonly KeepHost Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.IsHttps ? "https" : "http");
        }
    }
}

public sealed record RelayStatus(int Live, long Accepted);

[System.Text.Json.Serialization.JsonSerializable(typeof(RelayStatus))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class RelayJson : System.Text.Json.Serialization.JsonSerializerContext;
