using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace UcloudIm.Gateway.Forwarding;

/// <summary>
/// Copies the request as YARP does, then replaces every identity header with the gateway's own values:
/// whatever a client sent as x-jwt-payload, ucloud-secret, UCloud-Username or Authorization never passes.
/// </summary>
public sealed class IdentityTransformer(string? encodedPayload, string? secret, string? ucloudUsernameBase64) : HttpTransformer
{
    /// <summary>Headers only the gateway may set. Inbound copies are dropped before anything else happens.</summary>
    public static readonly string[] IdentityHeaders = ["x-jwt-payload", "ucloud-secret", "ucloud-username", "authorization", "ucloud-im-peer"];

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        // Stripped at the source, so nothing below can copy a client's value by accident.
        foreach (var h in IdentityHeaders) httpContext.Request.Headers.Remove(h);
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        foreach (var h in IdentityHeaders) proxyRequest.Headers.Remove(h);
        if (encodedPayload is not null) proxyRequest.Headers.TryAddWithoutValidation("x-jwt-payload", encodedPayload);
        if (secret is not null) proxyRequest.Headers.TryAddWithoutValidation("ucloud-secret", secret);
        if (ucloudUsernameBase64 is not null) proxyRequest.Headers.TryAddWithoutValidation("ucloud-username", ucloudUsernameBase64);
        // The destination is a unix socket; the Host header is meaningless there.
        proxyRequest.Headers.Host = "localhost";
    }
}
