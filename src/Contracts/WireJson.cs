using System.Text.Json;
using System.Text.Json.Serialization;

namespace UcloudIm.Contracts;

/// <summary>
/// Source-generated JSON for every wire type. Property names are camelCase on the way out and
/// matched case-insensitively on the way in (Go's decoder is case-insensitive and Core relies on it).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNameCaseInsensitive = true,
    UseStringEnumConverter = true,
    // A missing required field or a null where none is allowed is a 400 that names it, not a crash later.
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(WireError))]
[JsonSerializable(typeof(Empty))]
[JsonSerializable(typeof(FilesBrowseRequest))]
[JsonSerializable(typeof(FilesRetrieveRequest))]
[JsonSerializable(typeof(PageV2<ProviderFile>))]
[JsonSerializable(typeof(ProviderFile))]
[JsonSerializable(typeof(UsernameRequest))]
[JsonSerializable(typeof(ConnectResponse))]
[JsonSerializable(typeof(ManifestResponse))]
[JsonSerializable(typeof(BulkRequest<RefreshTokenItem>))]
[JsonSerializable(typeof(BulkResponse<AccessTokenResponse>))]
[JsonSerializable(typeof(InstanceBootstrap))]
[JsonSerializable(typeof(InstanceRoute))]
[JsonSerializable(typeof(OpenFileRequest))]
[JsonSerializable(typeof(OpenFileReply))]
[JsonSerializable(typeof(ActivityReport))]
[JsonSerializable(typeof(UserMapping))]
[JsonSerializable(typeof(List<UserMapping>))]
[JsonSerializable(typeof(AddUserRequest))]
[JsonSerializable(typeof(RemoveUserRequest))]
[JsonSerializable(typeof(ProjectMappingView))]
[JsonSerializable(typeof(List<ProjectMappingView>))]
[JsonSerializable(typeof(AddProjectRequest))]
[JsonSerializable(typeof(RemoveProjectRequest))]
[JsonSerializable(typeof(ProjectWorkspace))]
[JsonSerializable(typeof(ServerStatus))]
[JsonSerializable(typeof(Drive))]
[JsonSerializable(typeof(BulkRequest<FilesCreateFolderItem>))]
[JsonSerializable(typeof(BulkRequest<FilesMoveItem>))]
[JsonSerializable(typeof(BulkRequest<FilesTrashItem>))]
[JsonSerializable(typeof(BulkResponse<LongRunningTask>))]
[JsonSerializable(typeof(BulkRequest<FilesDownloadItem>))]
[JsonSerializable(typeof(BulkResponse<DownloadEndpoint>))]
[JsonSerializable(typeof(BulkRequest<FilesUploadItem>))]
[JsonSerializable(typeof(TaskCreateRequest))]
[JsonSerializable(typeof(TrackJobRequest))]
[JsonSerializable(typeof(ExtendJobRequest))]
[JsonSerializable(typeof(WebEndpointRequest))]
[JsonSerializable(typeof(WebEndpointResponse))]
[JsonSerializable(typeof(AppAuthorizeRequest))]
[JsonSerializable(typeof(AppSession))]
[JsonSerializable(typeof(AppResolveRequest))]
[JsonSerializable(typeof(AppTarget))]
[JsonSerializable(typeof(JobStateView))]
[JsonSerializable(typeof(CopyTaskSpec))]
[JsonSerializable(typeof(EmptyTrashTaskSpec))]
[JsonSerializable(typeof(BulkRequest<FilesEmptyTrashItem>))]
[JsonSerializable(typeof(TaskControlRequest))]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(List<TaskView>))]
[JsonSerializable(typeof(TaskStatusRequest))]
[JsonSerializable(typeof(BulkResponse<UploadEndpoint>))]
public sealed partial class WireJson : JsonSerializerContext;
