using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using UcloudIm.Hosting;

namespace UcloudIm.Server.Ipc;

/// <summary>
/// Who may call what on the server's socket, decided from SO_PEERCRED (which the caller cannot forge), by
/// path, default deny: the gateway reaches the provider API and the route lookups, root reaches the CLI.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class CallerPolicy
{
    public static bool Allows(PathString path, uint callerUid, uint gatewayUid, string providerId, uint minimumUid = 1000)
    {
        if (path == "/health") return true;
        if (path.StartsWithSegments("/cli")) return callerUid == 0;
        if (path.StartsWithSegments("/internal") || path.StartsWithSegments($"/ucloud/{providerId}")) return callerUid == gatewayUid;
        // User instances (the endpoints then require a mapped uid and act only for it).
        if (path.StartsWithSegments("/instance")) return callerUid >= minimumUid && callerUid != gatewayUid;
        return false;
    }

    public static IApplicationBuilder UseCallerPolicy(this IApplicationBuilder app, uint gatewayUid, string providerId, uint minimumUid) =>
        app.Use((context, next) =>
        {
            var peer = context.GetPeerCredentials();
            if (peer is { } p && Allows(context.Request.Path, p.Uid, gatewayUid, providerId, minimumUid)) return next(context);
            return WireErrors.WriteAsync(context, 403, "This caller may not use this endpoint", "FORBIDDEN");
        });
}
