using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;
using UcloudIm.Server.Instances;
using UcloudIm.Unix;

namespace UcloudIm.Server.Connections;

/// <summary>Mapping UCloud users to local users: the admin's `users add|rm` and Core's unlinked.</summary>
[SupportedOSPlatform("linux")]
internal sealed partial class ConnectionService(
    ImConfig config,
    ServiceAccounts accounts,
    ConnectionsRepository repository,
    InstanceManager instances,
    CoreClient core,
    Drives.DriveRegistration drives,
    ILogger<ConnectionService> log)
{
    /// <summary>Checks the local user as strictly as a spawn would, tells Core, then stores the mapping.</summary>
    public async Task<UserMapping> AddAsync(AddUserRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.UcloudUsername)) throw ImException.BadRequest("--ucloud-name is required");
        if (request.UcloudUsername.Any(char.IsControl)) throw ImException.BadRequest("the UCloud username contains control characters");
        var user = UserDatabase.FindByName(request.LocalUsername)
            ?? throw ImException.BadRequest($"there is no local user called '{request.LocalUsername}'");
        var refusal = Eligibility.Refusal(user.Uid, user, UserDatabase.GroupsOf(user), UserDatabase.FindGroupId(config.Instances.AllowedGroup),
            config.Instances, accounts.GatewayUid, accounts.ServerUid);
        if (refusal is not null) throw ImException.BadRequest(refusal);

        var existing = await repository.FindAsync(request.UcloudUsername, ct);
        if (existing is not null && existing.Uid != user.Uid)
            throw new ImException(409, $"UCloud user '{request.UcloudUsername}' is already mapped to {existing.LocalUsername} (uid {existing.Uid}); remove that mapping first", "CONFLICT");
        try
        {
            await core.ApproveConnectionAsync(request.UcloudUsername, ct);
        }
        catch (CoreException e)
        {
            throw new ImException(502, $"nothing was changed: Core did not approve the connection: {e.Message}", "CORE_UNAVAILABLE");
        }
        Connection c;
        try
        {
            c = await repository.RegisterAsync(request.UcloudUsername, user.Name, user.Uid, null, ct);
        }
        catch (MappingConflictException e)
        {
            throw new ImException(409, e.Message, "CONFLICT");
        }
        LogMapped(log, request.UcloudUsername, user.Name, user.Uid);
        try
        {
            await drives.RegisterAsync(c, ct);
        }
        catch (CoreException e)
        {
            // The mapping stands; the drives are registered again at the next start.
            LogDrivesFailed(log, request.UcloudUsername, e.Message);
        }
        return ToMapping(c);
    }

    public async Task<bool> RemoveAsync(string ucloudUsername, CancellationToken ct)
    {
        var existing = await repository.FindAsync(ucloudUsername, ct);
        if (existing is null) return false;
        await instances.StopAsync(ucloudUsername, "mapping removed by an administrator");
        try
        {
            await core.ClearConnectionAsync(ucloudUsername, ct);
        }
        catch (CoreException e)
        {
            LogCoreClearFailed(log, ucloudUsername, e.Message);
        }
        await repository.DeleteAsync(ucloudUsername, ct);
        LogUnmapped(log, ucloudUsername, "removed by an administrator");
        return true;
    }

    /// <summary>Core says the user unlinked this provider: the mapping expires now and the instance stops.</summary>
    public async Task UnlinkAsync(string ucloudUsername, CancellationToken ct)
    {
        if (!await repository.ExpireAsync(ucloudUsername, ct))
            throw ImException.NotFound($"The UCloud user '{ucloudUsername}' is not connected to this provider");
        await instances.StopAsync(ucloudUsername, "unlinked by Core");
        LogUnmapped(log, ucloudUsername, "unlinked by Core");
    }

    public async Task<IReadOnlyList<UserMapping>> ListAsync(CancellationToken ct) =>
        (await repository.ListAsync(ct)).Select(ToMapping).ToList();

    private UserMapping ToMapping(Connection c) => new(c.UcloudUsername, c.LocalUsername, c.Uid,
        c.CreatedAt.ToUnixTimeMilliseconds(), c.ExpiresAt?.ToUnixTimeMilliseconds(), instances.IsRunning(c.UcloudUsername));

    [LoggerMessage(40, LogLevel.Information, "mapped UCloud user {UcloudUser} to {LocalUser} (uid {Uid})")]
    private static partial void LogMapped(ILogger logger, string ucloudUser, string localUser, uint uid);

    [LoggerMessage(43, LogLevel.Warning, "could not register the drives of {UcloudUser} with Core: {Why}")]
    private static partial void LogDrivesFailed(ILogger logger, string ucloudUser, string why);

    [LoggerMessage(41, LogLevel.Information, "UCloud user {UcloudUser} unmapped: {Why}")]
    private static partial void LogUnmapped(ILogger logger, string ucloudUser, string why);

    [LoggerMessage(42, LogLevel.Warning, "could not tell Core that {UcloudUser} was unmapped: {Why}")]
    private static partial void LogCoreClearFailed(ILogger logger, string ucloudUser, string why);
}
