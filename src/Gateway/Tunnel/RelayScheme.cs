using Microsoft.AspNetCore.Http;

namespace UcloudIm.Gateway.Tunnel;

/// <summary>
/// Whether a request that came down the tunnel reached the relay over HTTPS. The tunnel itself is plain
/// HTTP/2 (its TLS is the WebSocket's, to the relay), so Kestrel sees every request on it as <c>http</c>; the
/// relay, which terminated the browser's TLS, says which scheme the browser used in <c>X-Forwarded-Proto</c>.
/// Only the relay can write on the tunnel (the gateway dialled it, and authenticated it when TLS is used), so
/// the header is believed there and nowhere else: on any other listener it is removed unread, as is any
/// value other than <c>http</c> or <c>https</c>. Interactive applications (Secure session cookies) rely on it.
/// </summary>
public static class RelayScheme
{
    public const string Header = "X-Forwarded-Proto";

    /// <summary>Set on every tunnel connection (<see cref="TunnelConnection"/>); HTTP/2 streams see their connection's features.</summary>
    public sealed class FromRelay
    {
        public static readonly FromRelay Instance = new();

        private FromRelay()
        {
        }
    }

    public static Task Middleware(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers;
        if (headers.TryGetValue(Header, out var values))
        {
            headers.Remove(Header);
            if (context.Features.Get<FromRelay>() is not null && values.Count == 1 && values[0] is "https" or "http")
                context.Request.Scheme = values[0]!;
        }
        return next(context);
    }
}
