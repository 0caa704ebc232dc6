namespace UcloudIm.Contracts;

public sealed record ProductReference(string Id, string Category, string Provider);

public sealed record ResourceOwner(string? CreatedBy, string? Project = null);

public sealed record DriveSpecification(string? Title = null, ProductReference? Product = null);

/// <summary>A drive as Core resolves it. providerGeneratedId is "&lt;providerId&gt;-&lt;ownerRef&gt;\n&lt;local path&gt;".</summary>
public sealed record Drive(string Id, DriveSpecification? Specification = null, string? ProviderGeneratedId = null, ResourceOwner? Owner = null, long? CreatedAt = null);

public sealed record FileFlags(string? Path = null, bool? FilterHiddenFiles = null);

public sealed record BrowseParameters(FileFlags? Flags = null, int? ItemsPerPage = null, string? Next = null, string? SortBy = null, string? SortDirection = null);

public sealed record FilesBrowseRequest(Drive ResolvedCollection, BrowseParameters Browse);

public sealed record RetrieveParameters(string Id, FileFlags? Flags = null);

public sealed record FilesRetrieveRequest(Drive ResolvedCollection, RetrieveParameters Retrieve);

public static class FileTypes
{
    public const string File = "FILE";
    public const string Directory = "DIRECTORY";
    public const string SoftLink = "SOFT_LINK";
}

public sealed record FileStatus(
    string Type,
    string Icon,
    long SizeInBytes,
    long ModifiedAt,
    long AccessedAt,
    int UnixMode,
    long UnixOwner,
    long UnixGroup);

/// <summary>A file as the provider reports it; id is the UCloud path "/&lt;driveId&gt;/…".</summary>
public sealed record ProviderFile(string Id, long CreatedAt, FileStatus Status, string? LegacySensitivity = null);

public sealed record FilesCreateFolderItem(string Id, Drive ResolvedCollection, string? ConflictPolicy = null);

public sealed record FilesMoveItem(Drive ResolvedOldCollection, Drive ResolvedNewCollection, string OldId, string NewId, string? ConflictPolicy = null);

public sealed record FilesTrashItem(string Id, Drive ResolvedCollection);

/// <summary>UCloud's LongRunningTask: "complete", or "continues_in_background" with a task id.</summary>
public sealed record LongRunningTask(string Type, string? TaskId = null)
{
    public static readonly LongRunningTask Complete = new("complete");
}

public sealed record FilesDownloadItem(string Id, Drive ResolvedCollection);

public sealed record DownloadEndpoint(string Endpoint);

/// <summary>files/upload: <c>type</c> is FILE or FOLDER; the provider answers with one of <c>supportedProtocols</c>.</summary>
public sealed record FilesUploadItem(string Id, Drive ResolvedCollection, string? Type = null, IReadOnlyList<string>? SupportedProtocols = null, string? ConflictPolicy = null);

public sealed record UploadEndpoint(string Endpoint, string Protocol, string Token);

public sealed record FilesEmptyTrashItem(string Id, Drive ResolvedCollection);

/// <summary>tasks/pauseOrCancel: <c>id</c> is Core's task id; <c>requestedState</c> CANCELLED, SUSPENDED or RUNNING.</summary>
public sealed record TaskControlRequest(string Id, string RequestedState);
