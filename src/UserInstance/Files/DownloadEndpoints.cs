using System.Buffers.Text;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Files;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.UserInstance.Files;

/// <summary>
/// files/download hands out a signed link; GET …/download streams the file with Range support, opened as
/// the user when the link is used (so permissions are those of that moment).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class DownloadEndpoints
{
    public const string Purpose = "download";

    public static void MapDownloadEndpoints(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me)
    {
        var key = Convert.FromBase64String(bootstrap.LinkKey);
        var lifetime = TimeSpan.FromSeconds(bootstrap.DownloadLinkLifetimeSeconds);
        var hint = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(bootstrap.UcloudUsername));
        var prefix = $"/ucloud/{bootstrap.ProviderId}";

        app.MapPost(prefix + "/files/download", async context =>
        {
            var request = await FileEndpoints.ReadAsync(context, WireJson.Default.BulkRequestFilesDownloadItem);
            var links = new List<DownloadEndpoint>(request.Items.Count);
            foreach (var item in request.Items)
            {
                var local = FileEndpoints.Run(item.Id, () =>
                {
                    var path = UcloudPath.ToLocal(item.ResolvedCollection.Id, item.ResolvedCollection.ProviderGeneratedId, item.Id);
                    var s = FileStat.Of(path, followLinks: true) ?? throw new FileNotFoundException();
                    if (s.Kind == FileKind.Directory) throw new InvalidPathException($"{item.Id} is a folder; folders cannot be downloaded as one file yet");
                    // Opening it now tells the user at once if they may not read it, not when the link is used.
                    using (File.OpenHandle(path, FileMode.Open, FileAccess.Read)) { }
                    return path;
                });
                var token = LinkToken.Create(key, Purpose, me.Uid, local, DateTimeOffset.UtcNow + lifetime);
                links.Add(new DownloadEndpoint($"{bootstrap.PublicUrl}{prefix}/download?token={token}&usernameHint={hint}"));
            }
            await context.Response.WriteAsJsonAsync(new BulkResponse<DownloadEndpoint>(links), WireJson.Default.BulkResponseDownloadEndpoint);
        });

        app.MapGet(prefix + "/download", context =>
        {
            string path;
            try
            {
                path = LinkToken.Verify(key, context.Request.Query["token"], Purpose, me.Uid, DateTimeOffset.UtcNow);
            }
            catch (LinkRefusedException e)
            {
                throw ImException.Forbidden(e.Message);
            }
            // Opened as the user now: a file they may no longer read is a clear 403, not a broken stream.
            FileEndpoints.Run(Path.GetFileName(path), () => { using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read); return 0; });
            context.Response.Headers.AccessControlAllowOrigin = "*";
            // Range, If-Range, ETag and Last-Modified are handled by the framework; the name is sent as
            // filename*=UTF-8'' so quotes, spaces and non-ASCII survive.
            return TypedResults.PhysicalFile(path, "application/octet-stream", Path.GetFileName(path), enableRangeProcessing: true).ExecuteAsync(context);
        });
    }
}
