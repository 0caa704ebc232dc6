using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Hosting;

namespace UcloudIm.UserInstance.Security;

/// <summary>
/// Second line of defence behind the peer-credential check: every request must carry this instance's secret
/// (only the server and the gateway know it), must be for this instance's user, and must carry the payload of
/// a Core service token that the gateway verified.
/// </summary>
internal sealed class GatewayGuard(RequestDelegate next, InstanceBootstrap bootstrap, ILogger<GatewayGuard> log)
{
    public const string SecretHeader = "ucloud-secret";
    public const string PayloadHeader = "x-jwt-payload";
    public const string UsernameHeader = "ucloud-username";

    private readonly byte[] _secret = Encoding.UTF8.GetBytes(bootstrap.Secret);
    private readonly string _uploadPath = $"/ucloud/{bootstrap.ProviderId}/upload";
    private readonly string _terminalPath = $"/ucloud/{bootstrap.ProviderId}/websocket";

    public Task InvokeAsync(HttpContext context)
    {
        // A browser's upload carries its own signed link instead of Core's token, and its terminal a one-time
        // session identifier (each checked by its endpoint). Its downloads never reach this socket: the gateway
        // has the file opened on the open-file socket.
        var browser = HttpMethods.IsGet(context.Request.Method) && (context.Request.Path == _uploadPath || context.Request.Path == _terminalPath);
        var reason = Check(context.Request.Headers, bootstrap.UcloudUsername, _secret, requirePayload: !browser);
        if (reason is not null)
        {
            Log.Refused(log, reason);
            return WireErrors.WriteAsync(context, 401, "Unauthorized", "UNAUTHORIZED");
        }
        return next(context);
    }

    /// <summary>Null when the request may proceed; otherwise why not (logged, never sent to the caller).</summary>
    internal static string? Check(IHeaderDictionary headers, string ucloudUsername, byte[] secret, bool requirePayload = true)
    {
        var given = headers[SecretHeader];
        if (given.Count != 1 || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given[0] ?? ""), secret))
            return "missing or wrong instance secret";
        var user = headers[UsernameHeader];
        if (user.Count != 1 || Decode(user[0]) != ucloudUsername)
            return "request is for another user";
        var payload = headers[PayloadHeader];
        if (requirePayload && (payload.Count != 1 || !IsServicePayload(payload[0])))
            return "missing or invalid token payload";
        return null;
    }

    private static string? Decode(string? b64)
    {
        try { return b64 is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(b64)); }
        catch (FormatException) { return null; }
    }

    private static bool IsServicePayload(string? b64url)
    {
        if (string.IsNullOrEmpty(b64url)) return false;
        try
        {
            using var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(b64url));
            var root = doc.RootElement;
            return root.TryGetProperty("sub", out var sub) && sub.GetString() == "_UCloud"
                && root.TryGetProperty("role", out var role) && role.GetString() == "SERVICE";
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }
}
