using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;

namespace UcloudIm.Server.Tasks;

/// <summary>
/// Background tasks for user instances. A task is made in Core first (so the user sees it at once), then
/// kept here; every later state change is written here before Core hears of it, and <see cref="TaskReporter"/>
/// sends what Core has not yet accepted, after a restart too.
/// </summary>
internal sealed partial class TaskService(TasksRepository tasks, CoreClient core, ILogger<TaskService> log)
{
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    public const int MaxProgressLength = 500;

    public async Task<TaskView> CreateAsync(Connection owner, TaskCreateRequest request, CancellationToken ct)
    {
        if (request.Kind.Length is 0 or > 64 || request.Title.Length is 0 or > 200 || request.Spec.Length > 64 << 10)
            throw ImException.BadRequest("A task needs a kind (≤ 64), a title (≤ 200) and a spec (≤ 64 KiB)");
        string coreId;
        try
        {
            coreId = await core.CreateTaskAsync(owner.UcloudUsername, request.Title, "", ct);
        }
        catch (CoreException e)
        {
            LogCoreRefused(log, owner.UcloudUsername, e.Message);
            throw new ImException(503, "UCloud cannot be reached to track this task; nothing was started, try again shortly", "UNAVAILABLE");
        }
        var task = await tasks.CreateAsync(owner.Uid, owner.UcloudUsername, coreId, request.Kind, request.Title, request.Spec, ct);
        LogCreated(log, task.Id, task.Kind, owner.UcloudUsername, coreId);
        return View(task);
    }

    public async Task UpdateAsync(uint callerUid, string id, TaskStatusRequest status, CancellationToken ct)
    {
        if (!TaskStates.IsKnown(status.State)) throw ImException.BadRequest($"Unknown task state '{status.State}'");
        var task = await tasks.FindAsync(id, ct);
        if (task is null || task.OwnerUid != callerUid) throw ImException.NotFound("No such task");
        var progress = status.Progress is { Length: > MaxProgressLength } p ? p[..MaxProgressLength] : status.Progress;
        if (!await tasks.UpdateAsync(id, status.State, progress, status.Percentage is { } pc ? Math.Clamp(pc, 0, 100) : null, ct))
            throw new ImException(409, $"The task is already {task.State}", "CONFLICT");
        if (status.State != TaskStates.Running) LogFinished(log, id, status.State, progress);
        _changed.Release();
    }

    public async Task<IReadOnlyList<TaskView>> UnfinishedAsync(uint ownerUid, CancellationToken ct) =>
        (await tasks.UnfinishedAsync(ownerUid, ct)).Select(View).ToList();

    /// <summary>Waits until a change is recorded or <paramref name="timeout"/> passes.</summary>
    public Task WaitForChangeAsync(TimeSpan timeout, CancellationToken ct) => _changed.WaitAsync(timeout, ct);

    private static TaskView View(BackgroundTask t) => new(t.Id, t.CoreId, t.Kind, t.Title, t.Spec);

    [LoggerMessage(70, LogLevel.Information, "task {TaskId} ({Kind}) started for {UcloudUser}; Core's id {CoreId}")]
    private static partial void LogCreated(ILogger logger, string taskId, string kind, string ucloudUser, string coreId);

    [LoggerMessage(71, LogLevel.Information, "task {TaskId} ended {State}: {Progress}")]
    private static partial void LogFinished(ILogger logger, string taskId, string state, string? progress);

    [LoggerMessage(72, LogLevel.Warning, "Core would not make a task for {UcloudUser}: {Why}")]
    private static partial void LogCoreRefused(ILogger logger, string ucloudUser, string why);
}
