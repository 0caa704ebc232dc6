namespace UcloudIm.Contracts;

// Messages between our own processes. They never cross the public listener.

/// <summary>
/// What the server hands a new user instance on its standard input (never on the command line, which
/// every local user can read in /proc).
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
    long UploadLinkLifetimeSeconds = 48 * 3600);

/// <summary>Where the gateway finds a ready user instance.</summary>
public sealed record InstanceRoute(string UcloudUsername, uint Uid, string SocketPath, string Secret);

/// <summary>A UCloud user ↔ local user mapping, as the CLI sees it.</summary>
public sealed record UserMapping(string UcloudUsername, string LocalUsername, uint Uid, long CreatedAt, long? ExpiresAt, bool InstanceRunning);

public sealed record AddUserRequest(string UcloudUsername, string LocalUsername);

public sealed record RemoveUserRequest(string UcloudUsername);

public sealed record InstanceInfo(string UcloudUsername, uint Uid, int SudoPid, long StartedAt, long LastActivityAt, int Restarts);

public sealed record ServerStatus(string ProviderId, string Version, IReadOnlyList<InstanceInfo> Instances);

/// <summary>Users with requests in flight at the gateway: their instances are busy even without new requests.</summary>
public sealed record ActivityReport(IReadOnlyList<string> Usernames);
