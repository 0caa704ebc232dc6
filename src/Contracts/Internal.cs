namespace UcloudIm.Contracts;

// Messages between our own processes. They never cross the public listener.

/// <summary>
/// What the server hands a new user instance on its standard input (never on the command line, which
/// every local user can read in /proc). <see cref="AuthorizedKeysFile"/>: where the user's UCloud SSH keys are
/// installed, relative to the home folder; null when the provider does not install them.
/// </summary>
public sealed record InstanceBootstrap(
    string UcloudUsername,
    string ProviderId,
    uint GatewayUid,
    uint MinimumUid,
    string SocketDirectory,
    string Secret,
    string PublicUrl,
    string LinkKey,
    long DownloadLinkLifetimeSeconds,
    long UploadLinkLifetimeSeconds = 48 * 3600,
    string? ServerSocket = null,
    uint? ServerUid = null,
    JobSettings? Jobs = null,
    bool Terminals = false,
    string? AuthorizedKeysFile = null);

/// <summary>What an instance needs to submit jobs: the products, where job folders go, the account rule, the applications.</summary>
public sealed record JobSettings(IReadOnlyList<JobProduct> Products, string JobFolder, string? AccountPattern, IReadOnlyList<JobApplication> Applications,
    string Sbatch = "sbatch", string Scancel = "scancel", string Sacctmgr = "sacctmgr", string Srun = "srun");

public sealed record JobProduct(string Name, string Category, string Partition, string? Qos, string? Constraint, int Cpu, int MemoryInGigs, int Gpu);

public sealed record JobApplication(string Name, string Version, string Title, IReadOnlyList<JobAppParameter> Parameters, string Invocation, IReadOnlyDictionary<string, string> Sbatch,
    JobAppInterface? Interface = null);

/// <summary>The application's interface, WEB or VNC: a fixed port, or null for one the job picks when it starts.</summary>
public sealed record JobAppInterface(string Kind, int? Port);

public sealed record JobAppParameter(string Name, string Type, bool Optional, string? Default, double? Min, double? Max, IReadOnlyList<string>? Options);

/// <summary>
/// An instance tells the server about a job it submitted, so the monitor follows it. The job's folder (and
/// project) are kept for its later calls (follow, open), which then need not work them out again.
/// </summary>
public sealed record TrackJobRequest(string CoreJobId, long SlurmId, string? Folder = null, string? ProjectId = null, bool SshEnabled = false);

/// <summary>A followed job's state as the monitor last saw it.</summary>
public sealed record JobStateView(string CoreJobId, long SlurmId, string State, string? Folder = null);

/// <summary>An instance asks the server to give its user's job more time (the server has Slurm operator rights).</summary>
public sealed record ExtendJobRequest(long SlurmId, long Minutes);

/// <summary>A copy as its task remembers it: the target was chosen (and conflicts settled) when it began.</summary>
public sealed record CopyTaskSpec(string From, string To, bool MergeRename);

/// <summary>Emptying a trash folder.</summary>
public sealed record EmptyTrashTaskSpec(string Folder);

/// <summary>A user instance asks the server to start a background task (the server tells Core).</summary>
public sealed record TaskCreateRequest(string Kind, string Title, string Spec);

/// <summary>A task as the instance that runs it sees it; <c>spec</c> is the instance's own JSON.</summary>
public sealed record TaskView(string Id, string CoreId, string Kind, string Title, string Spec);

/// <summary>A state change of a task: RUNNING (progress), SUCCESS, FAILURE or CANCELLED.</summary>
public sealed record TaskStatusRequest(string State, string? Progress = null, int? Percentage = null);

/// <summary>Where the gateway finds a ready user instance.</summary>
public sealed record InstanceRoute(string UcloudUsername, uint Uid, string SocketPath, string Secret)
{
    /// <summary>
    /// The instance's second socket, beside its HTTP one: the gateway asks it to open a download link's file and
    /// receives the open file itself (SCM_RIGHTS), so a download's bytes cross no process but the gateway.
    /// </summary>
    public static string OpenFileSocketOf(string socketPath) => Path.ChangeExtension(socketPath, ".open.sock");
}

/// <summary>One JSON line on an instance's open-file socket: this instance's secret and a signed download link's token.</summary>
public sealed record OpenFileRequest(string Secret, string Token);

/// <summary>The answer, one JSON line. With status 200 the open file travels with it; otherwise the error for the browser.</summary>
/// <param name="ContentType">Set when the descriptor is a socket streaming a made-up file (a folder as a tar archive): its media type. No length, no ranges.</param>
public sealed record OpenFileReply(int Status, string? Why = null, string? ErrorCode = null, string? Name = null, string? ContentType = null);

/// <summary>A UCloud user ↔ local user mapping, as the CLI sees it.</summary>
public sealed record UserMapping(string UcloudUsername, string LocalUsername, uint Uid, long CreatedAt, long? ExpiresAt, bool InstanceRunning);

public sealed record AddUserRequest(string UcloudUsername, string LocalUsername);

public sealed record RemoveUserRequest(string UcloudUsername);

/// <summary>A UCloud project ↔ Unix group mapping, as the CLI sees it, with the project's drive folders here.</summary>
public sealed record ProjectMappingView(string UcloudProjectId, string Title, string LocalGroup, uint Gid, long CreatedAt, IReadOnlyList<string> Drives);

public sealed record AddProjectRequest(string UcloudProjectId, string LocalGroup, string? Title);

public sealed record RemoveProjectRequest(string UcloudProjectId);

/// <summary>
/// What an instance needs to run a job in a project: the project's group, the Slurm account its jobs are
/// charged to (null: the user's default), and the folder its job folders go in (null: the user's home).
/// </summary>
public sealed record ProjectWorkspace(string UcloudProjectId, string LocalGroup, uint Gid, string? Account, string? Folder);

public sealed record InstanceInfo(string UcloudUsername, uint Uid, int SudoPid, long StartedAt, long LastActivityAt, int Restarts);

public sealed record ServerStatus(string ProviderId, string Version, IReadOnlyList<InstanceInfo> Instances);

/// <summary>Users with requests in flight at the gateway: their instances are busy even without new requests.</summary>
public sealed record ActivityReport(IReadOnlyList<string> Usernames);

/// <summary>An instance asks for its running job's web interface (rank's node, the port the job chose) to be reachable.</summary>
public sealed record WebEndpointRequest(long SlurmId, int Rank, int Port, string Kind = "WEB");

/// <summary>
/// WEB: where to send the user's browser, a one-time authorize link on the app's own domain. VNC: the WebSocket URL
/// noVNC connects to, with the session in it.
/// </summary>
public sealed record WebEndpointResponse(string Domain, string RedirectClientTo);

/// <summary>The gateway trades an authorize token for a session on that domain.</summary>
public sealed record AppAuthorizeRequest(string Domain, string Token);

public sealed record AppSession(string Session, long MaxAgeSeconds);

/// <summary>The gateway asks where a session on a domain leads.</summary>
public sealed record AppResolveRequest(string Domain, string Session);

public sealed record AppTarget(string Host, int Port, long ExpiresAtMs);
