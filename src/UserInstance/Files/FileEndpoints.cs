using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Files;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.UserInstance.Files;

/// <summary>files/browse and files/retrieve, served as the user. Failures become wire errors here.</summary>
[SupportedOSPlatform("linux")]
internal static class FileEndpoints
{
    public static void MapFileEndpoints(this IEndpointRouteBuilder app, string providerId)
    {
        var prefix = $"/ucloud/{providerId}/files";
        app.MapPost(prefix + "/browse", async context =>
        {
            var request = await ReadAsync(context, WireJson.Default.FilesBrowseRequest);
            var drive = request.ResolvedCollection;
            var path = request.Browse.Flags?.Path ?? $"/{drive.Id}";
            var sort = request.Browse.SortBy?.ToUpperInvariant() switch
            {
                null or "PATH" => SortField.Path,
                "SIZE" => SortField.Size,
                "MODIFIED_AT" => SortField.ModifiedAt,
                var other => throw ImException.BadRequest($"Cannot sort by '{other}'; use PATH, SIZE or MODIFIED_AT"),
            };
            var descending = request.Browse.SortDirection?.ToUpperInvariant() switch
            {
                null or "ASCENDING" => false,
                "DESCENDING" => true,
                var other => throw ImException.BadRequest($"Unknown sort direction '{other}'"),
            };
            var page = Run(path, () => FileListing.Browse(UcloudPath.ToLocal(drive.Id, drive.ProviderGeneratedId, path), path,
                request.Browse.ItemsPerPage, request.Browse.Next, sort, descending, request.Browse.Flags?.FilterHiddenFiles ?? false));
            await context.Response.WriteAsJsonAsync(page, WireJson.Default.PageV2ProviderFile);
        });
        app.MapPost(prefix + "/retrieve", async context =>
        {
            var request = await ReadAsync(context, WireJson.Default.FilesRetrieveRequest);
            var drive = request.ResolvedCollection;
            var path = request.Retrieve.Id;
            var file = Run(path, () => FileListing.Retrieve(UcloudPath.ToLocal(drive.Id, drive.ProviderGeneratedId, path), path));
            await context.Response.WriteAsJsonAsync(file, WireJson.Default.ProviderFile);
        });
        app.MapPost(prefix + "/folder", context => Bulk(context, WireJson.Default.BulkRequestFilesCreateFolderItem, item =>
        {
            Run(item.Id, () => FileOperations.CreateFolder(
                UcloudPath.ToLocal(item.ResolvedCollection.Id, item.ResolvedCollection.ProviderGeneratedId, item.Id), WriteConflict.Parse(item.ConflictPolicy)));
        }));
        app.MapPost(prefix + "/move", context => Bulk(context, WireJson.Default.BulkRequestFilesMoveItem, item =>
        {
            Run(item.OldId, () => FileOperations.Move(
                UcloudPath.ToLocal(item.ResolvedOldCollection.Id, item.ResolvedOldCollection.ProviderGeneratedId, item.OldId),
                UcloudPath.ToLocal(item.ResolvedNewCollection.Id, item.ResolvedNewCollection.ProviderGeneratedId, item.NewId),
                WriteConflict.Parse(item.ConflictPolicy)));
        }));
        app.MapPost(prefix + "/trash", context => Bulk(context, WireJson.Default.BulkRequestFilesTrashItem, item =>
        {
            var drive = item.ResolvedCollection;
            Run(item.Id, () => FileOperations.Trash(UcloudPath.ToLocal(drive.Id, drive.ProviderGeneratedId, item.Id), UcloudPath.DriveRoot(drive.ProviderGeneratedId)));
        }));
    }

    /// <summary>
    /// Runs the items in order. The first failure is the answer, saying which items were already done,
    /// so nothing is silently lost or repeated blindly.
    /// </summary>
    private static async Task Bulk<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<BulkRequest<T>> type, Action<T> action)
        where T : class
    {
        var request = await ReadAsync(context, type);
        if (request.Items.Count == 0) throw ImException.BadRequest("The request has no items");
        var done = new List<LongRunningTask>(request.Items.Count);
        for (var i = 0; i < request.Items.Count; i++)
        {
            try
            {
                action(request.Items[i]);
            }
            catch (ImException e) when (i > 0)
            {
                throw new ImException(e.StatusCode, $"{e.Message} (item {i + 1} of {request.Items.Count}; items 1-{i} were done)", e.ErrorCode);
            }
            done.Add(LongRunningTask.Complete);
        }
        await context.Response.WriteAsJsonAsync(new BulkResponse<LongRunningTask>(done), WireJson.Default.BulkResponseLongRunningTask);
    }

    private static async Task<T> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted)
                ?? throw ImException.BadRequest("The request body is empty");
        }
        catch (JsonException e)
        {
            throw ImException.BadRequest($"The request body is not a valid {typeof(T).Name}: {e.Message}");
        }
    }

    /// <summary>Maps the OS's answer to what the end-user should read.</summary>
    private static void Run(string ucloudPath, Func<string> action) => Run<string>(ucloudPath, action);

    internal static T Run<T>(string ucloudPath, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (InvalidPathException e) { throw ImException.BadRequest(e.Message, "INVALID_PATH"); }
        catch (ConflictException e) { throw new ImException(409, e.Message, "CONFLICT"); }
        catch (FileNotFoundException) { throw ImException.NotFound($"{ucloudPath} does not exist"); }
        catch (DirectoryNotFoundException) { throw ImException.NotFound($"{ucloudPath} does not exist"); }
        catch (UnixIOException e) when (e.IsPermissionDenied) { throw ImException.Forbidden($"Permission denied: {ucloudPath}"); }
        catch (UnauthorizedAccessException) { throw ImException.Forbidden($"Permission denied: {ucloudPath}"); }
        catch (UnixIOException e) when (e.Errno == Unix.OpenDirectory.ELOOP) { throw ImException.BadRequest($"{ucloudPath}: the path passes through a symbolic link, which this operation does not follow", "INVALID_PATH"); }
        catch (UnixIOException e) when (e.Errno == 20) { throw ImException.BadRequest($"{ucloudPath}: a part of the path is not a folder"); }
    }
}
