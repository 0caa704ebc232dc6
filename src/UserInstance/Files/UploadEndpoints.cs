using System.Buffers.Text;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Files;
using UcloudIm.Files.Upload;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.UserInstance.Files;

/// <summary>
/// files/upload starts a session and answers with a signed WEBSOCKET_V2 endpoint; GET …/upload runs the
/// protocol on each of the client's (parallel) sockets. The signed token carries the whole session, so an
/// upload resumes after the connection, the instance or the server went away.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class UploadEndpoints
{
    public const string Protocol = "WEBSOCKET_V2";

    public static void MapUploadEndpoints(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me, ILogger log)
    {
        var key = Convert.FromBase64String(bootstrap.LinkKey);
        var lifetime = TimeSpan.FromSeconds(bootstrap.UploadLinkLifetimeSeconds);
        var hint = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(bootstrap.UcloudUsername));
        var prefix = $"/ucloud/{bootstrap.ProviderId}";
        var socketBase = PublicUrls.WebSocketBase(bootstrap.PublicUrl);

        app.MapPost(prefix + "/files/upload", async context =>
        {
            var request = await FileEndpoints.ReadAsync(context, WireJson.Default.BulkRequestFilesUploadItem);
            var answers = new List<UploadEndpoint>(request.Items.Count);
            foreach (var item in request.Items)
            {
                if (item.SupportedProtocols is { } protocols && !protocols.Contains(Protocol, StringComparer.OrdinalIgnoreCase))
                    throw ImException.BadRequest($"This provider uploads with {Protocol} only; the client offered {string.Join(", ", protocols)}");
                var kind = item.Type?.ToUpperInvariant() switch
                {
                    null or "FILE" => UploadKind.File,
                    "FOLDER" => UploadKind.Folder,
                    var other => throw ImException.BadRequest($"Unknown upload type '{other}'; use FILE or FOLDER"),
                };
                var session = FileEndpoints.Run(item.Id, () => UploadSession.Create(kind, WriteConflict.Parse(item.ConflictPolicy),
                    item.ResolvedCollection.Id, item.ResolvedCollection.ProviderGeneratedId, item.Id));
                var token = LinkToken.Create(key, UploadSession.Purpose, me.Uid, session.Encode(), DateTimeOffset.UtcNow + lifetime);
                answers.Add(new UploadEndpoint($"{socketBase}{prefix}/upload?token={token}&usernameHint={hint}", Protocol, token));
            }
            await context.Response.WriteAsJsonAsync(new BulkResponse<UploadEndpoint>(answers), WireJson.Default.BulkResponseUploadEndpoint);
        });

        app.MapGet(prefix + "/upload", async context =>
        {
            string token = context.Request.Query["token"].ToString();
            UploadSession session;
            try
            {
                session = UploadSession.Decode(LinkToken.Verify(key, token, UploadSession.Purpose, me.Uid, DateTimeOffset.UtcNow));
            }
            catch (LinkRefusedException e)
            {
                throw ImException.Forbidden(e.Message);
            }
            if (!context.WebSockets.IsWebSocketRequest) throw ImException.BadRequest($"This is the {Protocol} upload endpoint: open it as a WebSocket");
            UploadReceiver receiver;
            try
            {
                receiver = new UploadReceiver(session, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..12]);
            }
            catch (UploadFailedException e)
            {
                throw ImException.Forbidden(e.Message);
            }
            using (receiver)
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await UploadConnection.RunAsync(socket, receiver, log, context.RequestAborted);
            }
        });
    }
}
