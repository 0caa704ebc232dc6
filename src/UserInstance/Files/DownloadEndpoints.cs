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
using Microsoft.Win32.SafeHandles;
using UcloudIm.Unix;

namespace UcloudIm.UserInstance.Files;

/// <summary>
/// files/download hands out a signed link. When a browser uses it, the gateway asks this instance (on its
/// open-file socket, <see cref="OpenFileListener"/>) to open the file, and serves it with Range support itself.
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
                    // A folder comes as a tar archive of itself; a FIFO or a device would block or never end.
                    if (s.Kind is not (FileKind.Regular or FileKind.Directory)) throw new InvalidPathException($"{item.Id} is not a regular file or a folder");
                    // Opening it now tells the user at once if they may not read it, not when the link is used.
                    if (s.Kind == FileKind.Directory) OpenDirectory.Open(path).Dispose();
                    else using (FileSystemCalls.OpenRegularForReading(path)) { }
                    return path;
                }, item.ResolvedCollection);
                var token = LinkToken.Create(key, Purpose, me.Uid, local, DateTimeOffset.UtcNow + lifetime);
                links.Add(new DownloadEndpoint($"{bootstrap.PublicUrl}{prefix}/download?token={token}&usernameHint={hint}"));
            }
            await context.Response.WriteAsJsonAsync(new BulkResponse<DownloadEndpoint>(links), WireJson.Default.BulkResponseDownloadEndpoint);
        });
    }

    /// <summary>
    /// Opens a signed link's file as the user, at the moment the link is used (so a file they may no longer
    /// read is a clear 403, not a broken stream). A regular file comes open; a folder comes as its path, to be
    /// archived (<see cref="FolderArchive"/>). Anything else is refused: a FIFO would block.
    /// </summary>
    public static (SafeFileHandle? File, string? Folder, string Name) OpenLinked(byte[] key, uint uid, string? token)
    {
        string path;
        try
        {
            path = LinkToken.Verify(key, token, Purpose, uid, DateTimeOffset.UtcNow);
        }
        catch (LinkRefusedException e)
        {
            throw ImException.Forbidden(e.Message);
        }
        var name = Path.GetFileName(path);
        return FileEndpoints.Run(name, () =>
        {
            var s = FileStat.Of(path, followLinks: true) ?? throw new FileNotFoundException();
            if (s.Kind == FileKind.Directory)
            {
                OpenDirectory.Open(path).Dispose(); // may they still read it: a 403 now, not an empty archive
                return ((SafeFileHandle?)null, (string?)path, FolderArchive.NameOf(path));
            }
            if (s.Kind != FileKind.Regular) throw new InvalidPathException($"{name} is not a regular file or a folder");
            // Swapped for a FIFO since the stat: refused (ENXIO), not waited on.
            return (FileSystemCalls.OpenRegularForReading(path), (string?)null, name);
        });
    }
}
