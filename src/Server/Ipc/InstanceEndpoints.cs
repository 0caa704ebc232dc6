using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Server.Instances;
using UcloudIm.Server.Tasks;

namespace UcloudIm.Server.Ipc;

/// <summary>
/// What user instances ask the server. The caller is the uid SO_PEERCRED names, so an instance can act only
/// for its own user: its tasks, its drives. A call also counts as that user's activity (a running copy keeps
/// its instance from being reaped).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class InstanceEndpoints
{
    public static void MapInstanceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/instance");
        group.MapPost("/tasks", async (HttpContext context, TaskCreateRequest body, TaskService tasks, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
            TypedResults.Ok(await tasks.CreateAsync(await CallerAsync(context, connections, instances, ct), body, ct)));
        group.MapGet("/tasks", async (HttpContext context, TaskService tasks, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
            TypedResults.Ok((await tasks.UnfinishedAsync((await CallerAsync(context, connections, instances, ct)).Uid, ct)).ToList()));
        // After sbatch, an instance hands its job to the monitor. The monitor reports it only while Slurm
        // says it is the caller's job (the uid is checked at every poll).
        group.MapPost("/jobs", async (HttpContext context, TrackJobRequest body, Configuration.ImConfig config, JobsRepository jobs, Jobs.JobUpdateSender sender, Projects.ProjectService projects, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
        {
            var caller = await CallerAsync(context, connections, instances, ct);
            if (string.IsNullOrEmpty(body.CoreJobId) || body.CoreJobId.Length > 128 || body.SlurmId <= 0) throw ImException.BadRequest("A job needs Core's id and the Slurm id");
            if (body.Folder is { } folder && (!folder.StartsWith('/') || folder.Length > 4096 || folder.Any(char.IsControl)))
                throw ImException.BadRequest("A job's folder is an absolute path");
            if (body.ProjectId is { } project) await projects.MemberProjectAsync(caller, project, ct);
            try
            {
                var submitted = $"Submitted to the queue (Slurm id {body.SlurmId})";
                string[] statuses = body.SshEnabled ? [submitted, config.Ssh.JobStatus(caller.LocalUsername, body.SlurmId)] : [submitted];
                await jobs.TrackAsync(body.CoreJobId, body.SlurmId, caller.Uid, caller.UcloudUsername, statuses, body.Folder, body.ProjectId, ct);
            }
            catch (MappingConflictException e)
            {
                throw new ImException(409, e.Message, "CONFLICT");
            }
            sender.Signal();
            return TypedResults.Ok(new Empty());
        });
        // Followers ask whether their job still runs: a database read, never a Slurm call.
        group.MapGet("/jobs/{slurmId:long}", async (HttpContext context, long slurmId, JobsRepository jobs, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
        {
            var caller = await CallerAsync(context, connections, instances, ct);
            var job = await jobs.FindBySlurmIdAsync(slurmId, ct);
            if (job is null || job.OwnerUid != caller.Uid) throw ImException.NotFound($"You have no job {slurmId} here");
            return TypedResults.Ok(new JobStateView(job.CoreId, job.SlurmId, job.State, job.Folder));
        });
        group.MapPost("/jobs/extend", async (HttpContext context, ExtendJobRequest body, Jobs.JobExtension extension, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
        {
            await extension.ExtendAsync((await CallerAsync(context, connections, instances, ct)).Uid, body.SlurmId, body.Minutes, ct);
            return TypedResults.Ok(new Empty());
        });
        group.MapPost("/jobs/web", async (HttpContext context, WebEndpointRequest body, Apps.WebEndpoints web, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
            TypedResults.Ok(await web.RegisterAsync((await CallerAsync(context, connections, instances, ct)).Uid, body, ct)));
        group.MapGet("/drives/{id}", async (HttpContext context, string id, Core.CoreClient core, Projects.ProjectService projects, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
            TypedResults.Ok(await DriveAsync(await CallerAsync(context, connections, instances, ct), id, core, projects, ct)));
        // A job in a project: its account and folder, for members of the project's group only.
        group.MapGet("/projects/{id}", async (HttpContext context, string id, Projects.ProjectService projects, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
            TypedResults.Ok(await projects.WorkspaceAsync(await CallerAsync(context, connections, instances, ct), id, ct)));
        group.MapPost("/tasks/{id}/status", async (HttpContext context, string id, TaskStatusRequest body, TaskService tasks, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct) =>
        {
            await tasks.UpdateAsync((await CallerAsync(context, connections, instances, ct)).Uid, id, body, ct);
            return TypedResults.Ok(new Empty());
        });
    }

    /// <summary>Drive lookups for calls that name only a path (streaming search): the user's own drives, and those of projects whose group they are in.</summary>
    private static async Task<Drive> DriveAsync(Connection caller, string id, Core.CoreClient core, Projects.ProjectService projects, CancellationToken ct)
    {
        Drive? drive;
        try
        {
            drive = await core.RetrieveDriveAsync(id, ct);
        }
        catch (Core.CoreException)
        {
            throw new ImException(503, "UCloud cannot be reached to look up this drive; try again shortly", "UNAVAILABLE");
        }
        if (drive?.Owner?.Project is { } project)
        {
            await projects.MemberProjectAsync(caller, project, ct);
            return drive;
        }
        if (drive is null || drive.Owner?.CreatedBy != caller.UcloudUsername)
            throw ImException.NotFound($"No drive '{id}' of yours is known here");
        return drive;
    }

    private static async Task<Connection> CallerAsync(HttpContext context, ConnectionsRepository connections, InstanceManager instances, CancellationToken ct)
    {
        var uid = context.GetPeerCredentials()!.Value.Uid;
        var c = await connections.FindByUidAsync(uid, ct);
        if (c is null || !c.IsActiveAt(DateTimeOffset.UtcNow)) throw ImException.Forbidden("This uid is not mapped to a UCloud user");
        instances.Resolve(c.UcloudUsername);
        return c;
    }
}
