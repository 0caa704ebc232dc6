using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Files;
using UcloudIm.Hosting;
using UcloudIm.Files.Tasks;
using UcloudIm.Unix;
using UcloudIm.UserInstance.Tasks;
using Microsoft.Extensions.DependencyInjection;

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
                request.Browse.ItemsPerPage, request.Browse.Next, sort, descending, request.Browse.Flags?.FilterHiddenFiles ?? false), drive);
            await context.Response.WriteAsJsonAsync(page, WireJson.Default.PageV2ProviderFile);
        });
        app.MapPost(prefix + "/retrieve", async context =>
        {
            var request = await ReadAsync(context, WireJson.Default.FilesRetrieveRequest);
            var drive = request.ResolvedCollection;
            var path = request.Retrieve.Id;
            var file = Run(path, () => FileListing.Retrieve(UcloudPath.ToLocal(drive.Id, drive.ProviderGeneratedId, path), path), drive);
            await context.Response.WriteAsJsonAsync(file, WireJson.Default.ProviderFile);
        });
        app.MapPost(prefix + "/folder", context => Bulk(context, WireJson.Default.BulkRequestFilesCreateFolderItem, item =>
        {
            Run(item.Id, () => FileOperations.CreateFolder(
                UcloudPath.ToLocal(item.ResolvedCollection.Id, item.ResolvedCollection.ProviderGeneratedId, item.Id), WriteConflict.Parse(item.ConflictPolicy)),
                item.ResolvedCollection, write: true);
        }));
        app.MapPost(prefix + "/move", context => Bulk(context, WireJson.Default.BulkRequestFilesMoveItem, item =>
        {
            Run(item.OldId, () => FileOperations.Move(
                UcloudPath.ToLocal(item.ResolvedOldCollection.Id, item.ResolvedOldCollection.ProviderGeneratedId, item.OldId),
                UcloudPath.ToLocal(item.ResolvedNewCollection.Id, item.ResolvedNewCollection.ProviderGeneratedId, item.NewId),
                WriteConflict.Parse(item.ConflictPolicy)),
                item.ResolvedOldCollection, write: true, target: (item.ResolvedNewCollection, item.NewId));
        }));
        app.MapPost(prefix + "/trash", context => Bulk(context, WireJson.Default.BulkRequestFilesTrashItem, item =>
        {
            var drive = item.ResolvedCollection;
            Run(item.Id, () => FileOperations.Trash(UcloudPath.ToLocal(drive.Id, drive.ProviderGeneratedId, item.Id), UcloudPath.DriveRoot(drive.ProviderGeneratedId)),
                drive, write: true);
        }));
    }

    /// <summary>
    /// files/copy: a single file up to <see cref="InlineCopyLimit"/> is copied at once; anything larger, and
    /// every folder, becomes a background task. The target is chosen now (conflicts settled by the policy),
    /// so a resumed task writes exactly where the first run did.
    /// </summary>
    public static void MapTaskEndpoints(this IEndpointRouteBuilder app, string providerId)
    {
        var prefix = $"/ucloud/{providerId}";
        app.MapPost(prefix + "/files/copy", context => BulkAsync(context, WireJson.Default.BulkRequestFilesMoveItem, async item =>
        {
            var runner = context.RequestServices.GetRequiredService<TaskRunner>();
            var (from, to, policy) = Run(item.OldId, () => (
                UcloudPath.ToLocal(item.ResolvedOldCollection.Id, item.ResolvedOldCollection.ProviderGeneratedId, item.OldId),
                UcloudPath.ToLocal(item.ResolvedNewCollection.Id, item.ResolvedNewCollection.ProviderGeneratedId, item.NewId),
                WriteConflict.Parse(item.ConflictPolicy)));
            var explainAs = (item.ResolvedNewCollection, item.NewId);
            var (source, target, merge) = Run(item.OldId, () => CopyTarget(from, to, policy), item.ResolvedOldCollection, target: explainAs);
            if (source.Kind == FileKind.Regular && source.Size <= InlineCopyLimit)
            {
                Run(item.OldId, () => { new FileCopy(from, target, merge).Run(context.RequestAborted); return 0; }, item.ResolvedOldCollection, target: explainAs);
                return LongRunningTask.Complete;
            }
            var spec = JsonSerializer.Serialize(new CopyTaskSpec(from, target, merge), WireJson.Default.CopyTaskSpec);
            var id = await runner.StartAsync(TaskRunner.CopyKind, $"Copying {Path.GetFileName(from)}", spec, context.RequestAborted);
            return new LongRunningTask("continues_in_background", id);
        }));
        app.MapPost(prefix + "/files/emptyTrash", context => BulkAsync(context, WireJson.Default.BulkRequestFilesEmptyTrashItem, async item =>
        {
            var runner = context.RequestServices.GetRequiredService<TaskRunner>();
            var folder = Run<string>(item.Id, () =>
            {
                var local = UcloudPath.ToLocal(item.ResolvedCollection.Id, item.ResolvedCollection.ProviderGeneratedId, item.Id);
                return Path.GetFileName(local) == FileOperations.TrashFolder
                    ? local
                    : throw new InvalidPathException($"{item.Id} is not a {FileOperations.TrashFolder} folder; only the trash can be emptied");
            });
            var spec = JsonSerializer.Serialize(new EmptyTrashTaskSpec(folder), WireJson.Default.EmptyTrashTaskSpec);
            return new LongRunningTask("continues_in_background", await runner.StartAsync(TaskRunner.EmptyTrashKind, "Emptying the trash", spec, context.RequestAborted));
        }));
        app.MapPost(prefix + "/tasks/pauseOrCancel", async context =>
        {
            var request = await ReadAsync(context, WireJson.Default.TaskControlRequest);
            if (!string.Equals(request.RequestedState, "CANCELLED", StringComparison.OrdinalIgnoreCase))
                throw ImException.BadRequest("Tasks here can be cancelled, not paused or resumed");
            if (!context.RequestServices.GetRequiredService<TaskRunner>().Cancel(request.Id))
                throw ImException.NotFound("No such task is running");
            await context.Response.WriteAsJsonAsync(new Empty(), WireJson.Default.Empty);
        });
    }

    public const long InlineCopyLimit = 16 << 20;

    /// <summary>Where a copy goes under its policy; REPLACE removes what is there now, before anything is copied.</summary>
    private static (FileStat Source, string Target, bool Merge) CopyTarget(string from, string to, WriteConflictPolicy policy)
    {
        if (to.StartsWith(from.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new InvalidPathException("A folder cannot be copied into itself");
        var source = FileStat.Of(from) ?? throw new FileNotFoundException();
        var existing = FileStat.Of(to);
        if (existing is null) return (source, to, false);
        // Onto itself: only a copy under a new name makes sense ("report(1).pdf").
        if (to == from && policy is WriteConflictPolicy.Replace or WriteConflictPolicy.MergeRename) policy = WriteConflictPolicy.Rename;
        switch (policy)
        {
            case WriteConflictPolicy.Reject:
                throw new ConflictException($"{Path.GetFileName(to)} already exists");
            case WriteConflictPolicy.Replace:
                if (existing.Value.Kind == FileKind.Directory) Directory.Delete(to, recursive: true); else File.Delete(to);
                return (source, to, false);
            case WriteConflictPolicy.MergeRename when source.Kind == FileKind.Directory && existing.Value.Kind == FileKind.Directory:
                return (source, to, true);
            default:
                return (source, WriteConflict.Candidates(to).FirstOrDefault(c => FileStat.Of(c) is null)
                    ?? throw new ConflictException($"no free name for {Path.GetFileName(to)}"), false);
        }
    }

    /// <summary>
    /// Runs the items in order. The first failure is the answer, saying which items were already done,
    /// so nothing is silently lost or repeated blindly.
    /// </summary>
    private static Task Bulk<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<BulkRequest<T>> type, Action<T> action)
        where T : class => BulkAsync(context, type, item =>
        {
            action(item);
            return Task.FromResult(LongRunningTask.Complete);
        });

    private static async Task BulkAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<BulkRequest<T>> type, Func<T, Task<LongRunningTask>> action)
        where T : class
    {
        var request = await ReadAsync(context, type);
        if (request.Items.Count == 0) throw ImException.BadRequest("The request has no items");
        var done = new List<LongRunningTask>(request.Items.Count);
        for (var i = 0; i < request.Items.Count; i++)
        {
            try
            {
                done.Add(await action(request.Items[i]));
            }
            catch (ImException e) when (i > 0)
            {
                throw new ImException(e.StatusCode, $"{e.Message} (item {i + 1} of {request.Items.Count}; items 1-{i} were done)", e.ErrorCode);
            }
        }
        await context.Response.WriteAsJsonAsync(new BulkResponse<LongRunningTask>(done), WireJson.Default.BulkResponseLongRunningTask);
    }

    internal static async Task<T> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted)
                ?? throw ImException.BadRequest("The request body is empty");
        }
        catch (JsonException e)
        {
            var name = typeof(T).IsGenericType ? $"list of {typeof(T).GetGenericArguments()[0].Name}" : typeof(T).Name;
            throw ImException.BadRequest($"The request body is not a valid {name}: {e.Message}");
        }
    }

    /// <summary>Maps the OS's answer to what the end-user should read.</summary>
    private static void Run(string ucloudPath, Func<string> action) => Run<string>(ucloudPath, action);

    /// <summary>The local path of a UCloud folder (<c>/&lt;drive&gt;/…</c>) as the server knows the drive; a 4xx if it is no folder.</summary>
    internal static async Task<string> LocalFolderAsync(Tasks.ServerChannel server, string ucloudPath, CancellationToken ct)
    {
        var drive = await server.DriveAsync(ucloudPath.TrimStart('/').Split('/')[0], ct);
        return Run<string>(ucloudPath, () =>
        {
            var path = UcloudPath.ToLocal(drive.Id, drive.ProviderGeneratedId, ucloudPath);
            var s = UcloudIm.Unix.FileStat.Of(path, followLinks: true) ?? throw new FileNotFoundException();
            return s.Kind == UcloudIm.Unix.FileKind.Directory ? path : throw new InvalidPathException($"{ucloudPath} is not a folder");
        });
    }

    /// <summary>
    /// Runs a file operation and turns its failure into a wire error. Given the drive, a "permission denied"
    /// says which step of the path is closed and why (<see cref="AccessDenial"/>).
    /// </summary>
    /// <param name="target">For a move or copy: where it goes, explained (as a write) when the source is not the reason.</param>
    internal static T Run<T>(string ucloudPath, Func<T> action, Drive? drive = null, bool write = false, (Drive Drive, string Path)? target = null)
    {
        try
        {
            return action();
        }
        catch (InvalidPathException e) { throw ImException.BadRequest(e.Message, "INVALID_PATH"); }
        catch (ConflictException e) { throw new ImException(409, e.Message, "CONFLICT"); }
        catch (FileNotFoundException) { throw ImException.NotFound($"{ucloudPath} does not exist"); }
        catch (DirectoryNotFoundException) { throw ImException.NotFound($"{ucloudPath} does not exist"); }
        catch (UnixIOException e) when (e.IsPermissionDenied) { throw Denied(ucloudPath, drive, write, target); }
        catch (UnauthorizedAccessException) { throw Denied(ucloudPath, drive, write, target); }
        catch (UnixIOException e) when (e.Errno == Unix.OpenDirectory.ELOOP) { throw ImException.BadRequest($"{ucloudPath}: the path passes through a symbolic link, which this operation does not follow", "INVALID_PATH"); }
        catch (UnixIOException e) when (e.Errno == FileSystemCalls.ENOTDIR) { throw ImException.BadRequest($"{ucloudPath}: a part of the path is not a folder"); }
        catch (UnixIOException e) when (e.Errno == FileSystemCalls.ENXIO) { throw ImException.BadRequest($"{ucloudPath} is not a regular file or a folder", "INVALID_PATH"); }
    }

    private static ImException Denied(string ucloudPath, Drive? drive, bool write, (Drive Drive, string Path)? target)
    {
        if (drive is not null && AccessDenial.Explain(drive.Id, drive.ProviderGeneratedId, ucloudPath, write) is { } why)
            return ImException.Forbidden($"Permission denied: {ucloudPath}: {why}");
        if (target is { } t && AccessDenial.Explain(t.Drive.Id, t.Drive.ProviderGeneratedId, t.Path, write: true) is { } there)
            return ImException.Forbidden($"Permission denied: {t.Path}: {there}");
        return ImException.Forbidden($"Permission denied: {ucloudPath}");
    }
}
