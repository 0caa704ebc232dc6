using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;
using UcloudIm.Server.Drives;
using UcloudIm.Unix;

namespace UcloudIm.Server.Projects;

/// <summary>
/// UCloud projects served here, each mapped by an admin to a Unix group (`projects add|rm`). The group is the
/// truth about membership: the kernel checks it on every file a member's instance touches, and this service
/// checks it before handing an instance a project's job settings.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class ProjectService(ImConfig config, ProjectsRepository repository, DriveRegistration drives, ILogger<ProjectService> log)
{
    /// <summary>Checks the group, stores the mapping, then tells Core about the project's drives.</summary>
    public async Task<ProjectMappingView> AddAsync(AddProjectRequest request, CancellationToken ct)
    {
        var id = request.UcloudProjectId;
        if (string.IsNullOrWhiteSpace(id)) throw ImException.BadRequest("--ucloud-id is required");
        if (id.Length > 128 || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '/'))
            throw ImException.BadRequest("the UCloud project id may not contain spaces, '/' or control characters");
        var title = string.IsNullOrWhiteSpace(request.Title) ? id : request.Title.Trim();
        if (title.Any(char.IsControl)) throw ImException.BadRequest("the title contains control characters");
        var gid = UserDatabase.FindGroupId(request.LocalGroup)
            ?? throw ImException.BadRequest($"there is no local group called '{request.LocalGroup}'; create it first (groupadd, or in your directory)");
        if (Refusal(request.LocalGroup, gid) is { } refusal) throw ImException.BadRequest(refusal);
        ProjectMapping p;
        try
        {
            p = await repository.RegisterAsync(id, title, request.LocalGroup, gid, ct);
        }
        catch (MappingConflictException e)
        {
            throw new ImException(409, e.Message, "CONFLICT");
        }
        LogMapped(log, p.UcloudProjectId, p.Title, p.LocalGroup, p.Gid);
        try
        {
            await drives.RegisterAsync(p, ct);
        }
        catch (CoreException e)
        {
            // The mapping stands; the drives are registered again at the next start.
            LogDrivesFailed(log, p.UcloudProjectId, e.Message);
        }
        return View(p);
    }

    /// <summary>
    /// Groups that would hand a project's files to people outside it: system groups, and the group every user
    /// of this provider is in (all of them would be "members").
    /// </summary>
    private string? Refusal(string group, uint gid)
    {
        if (gid < config.Instances.MinimumUid)
            return $"group {group} (gid {gid}) is a system group (below userInstances.minimumUid {config.Instances.MinimumUid}); give the project a group of its own";
        if (group == config.Instances.AllowedGroup)
            return $"group {group} is userInstances.allowedGroup: every user of this provider is in it; give the project a group of its own";
        return null;
    }

    public async Task<bool> RemoveAsync(string ucloudProjectId, CancellationToken ct)
    {
        if (!await repository.DeleteAsync(ucloudProjectId, ct)) return false;
        LogUnmapped(log, ucloudProjectId);
        return true;
    }

    public async Task<IReadOnlyList<ProjectMappingView>> ListAsync(CancellationToken ct) =>
        (await repository.ListAsync(ct)).Select(View).ToList();

    /// <summary>
    /// A project's job settings for a member's instance. Membership is the caller's groups as the system reports
    /// them now (getgrouplist), the same the kernel will check on the project's folders.
    /// </summary>
    public async Task<ProjectWorkspace> WorkspaceAsync(Connection caller, string ucloudProjectId, CancellationToken ct)
    {
        var p = await MemberProjectAsync(caller, ucloudProjectId, ct);
        var folder = DriveRegistration.ProjectDrives(config, p).Select(d => d.Path).FirstOrDefault(path => path is not null);
        return new ProjectWorkspace(p.UcloudProjectId, p.LocalGroup, p.Gid, config.Slurm.ProjectAccountFor(p.LocalGroup, p.UcloudProjectId, p.Gid), folder);
    }

    /// <summary>The project, if it is mapped here and the caller is in its group; a refusal that says which, otherwise.</summary>
    public async Task<ProjectMapping> MemberProjectAsync(Connection caller, string ucloudProjectId, CancellationToken ct)
    {
        var p = await repository.FindAsync(ucloudProjectId, ct)
            ?? throw ImException.NotFound($"The project '{ucloudProjectId}' is not set up at this provider; its administrators map it to a Unix group with `ucloud-im projects add`");
        if (!UserDatabase.IsMember(caller.Uid, p.Gid))
            throw ImException.Forbidden($"You ({caller.LocalUsername}) are not in the group {p.LocalGroup} of project '{p.Title}' here; the provider's administrators add project members to it");
        return p;
    }

    private ProjectMappingView View(ProjectMapping p) => new(p.UcloudProjectId, p.Title, p.LocalGroup, p.Gid, p.CreatedAt.ToUnixTimeMilliseconds(),
        DriveRegistration.ProjectDrives(config, p).Where(d => d.Path is not null).Select(d => d.Path!).ToList());

    [LoggerMessage(45, LogLevel.Information, "mapped project {ProjectId} ({Title}) to group {Group} (gid {Gid})")]
    private static partial void LogMapped(ILogger logger, string projectId, string title, string group, uint gid);

    [LoggerMessage(46, LogLevel.Warning, "could not register the drives of project {ProjectId} with Core: {Why}")]
    private static partial void LogDrivesFailed(ILogger logger, string projectId, string why);

    [LoggerMessage(47, LogLevel.Information, "project {ProjectId} unmapped by an administrator")]
    private static partial void LogUnmapped(ILogger logger, string projectId);
}
