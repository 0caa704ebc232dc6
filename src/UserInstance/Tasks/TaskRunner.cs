using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Files;
using UcloudIm.Files.Tasks;
using UcloudIm.Hosting;

namespace UcloudIm.UserInstance.Tasks;

/// <summary>
/// Runs this user's background tasks. A task is recorded by the server (and Core) before it starts; at
/// start the instance asks for its unfinished tasks and runs them again, which finishes them because the
/// work is written to be resumable. Progress goes to the server at most once a second, which also counts
/// as activity so a long copy keeps the instance alive.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class TaskRunner(ServerChannel? server, ILogger<TaskRunner> log) : BackgroundService
{
    public const string CopyKind = "copy";
    public const string EmptyTrashKind = "emptyTrash";

    private readonly ConcurrentDictionary<string, (TaskView View, CancellationTokenSource Cancel)> _running = new();
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        if (server is null) return;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                foreach (var task in await server.UnfinishedTasksAsync(stoppingToken))
                {
                    LogResuming(log, task.Id, task.Kind);
                    Run(task);
                }
                return;
            }
            catch (Exception e) when (e is HttpRequestException or ImException && attempt < 5)
            {
                LogResumeFailed(log, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1 << attempt), stoppingToken);
            }
        }
    }

    /// <summary>Records a task with the server and Core, then runs it; returns Core's id for the user.</summary>
    public async Task<string> StartAsync(string kind, string title, string spec, CancellationToken ct)
    {
        if (server is null) throw new ImException(503, "Background tasks are not available (the instance has no server channel)", "UNAVAILABLE");
        TaskView task;
        try
        {
            task = await server.CreateTaskAsync(new TaskCreateRequest(kind, title, spec), ct);
        }
        catch (HttpRequestException e)
        {
            throw new ImException(503, $"The provider's server cannot be reached to start this task; nothing was started ({e.Message})", "UNAVAILABLE");
        }
        Run(task);
        return task.CoreId;
    }

    /// <summary>Cancels a running task by Core's id; false if no such task runs here.</summary>
    public bool Cancel(string coreId)
    {
        foreach (var (view, cancel) in _running.Values)
        {
            if (view.CoreId != coreId) continue;
            cancel.Cancel();
            return true;
        }
        return false;
    }

    private void Run(TaskView task)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        if (!_running.TryAdd(task.Id, (task, cancel))) return;
        _ = Task.Run(async () =>
        {
            var progress = new Progress<TaskProgress>(p => _ = PostAsync(task, new TaskStatusRequest("RUNNING", p.Text, p.Percentage)));
            TaskStatusRequest final;
            try
            {
                var summary = Work(task, progress, cancel.Token);
                final = new TaskStatusRequest("SUCCESS", summary, 100);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // Stopping the instance is not the user cancelling: the task stays RUNNING and resumes.
                if (_stopping.IsCancellationRequested) return;
                final = new TaskStatusRequest("CANCELLED", "Cancelled");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConflictException or InvalidPathException or JsonException)
            {
                final = new TaskStatusRequest("FAILURE", Describe(e));
            }
            finally
            {
                _running.TryRemove(task.Id, out _);
                cancel.Dispose();
            }
            LogFinished(log, task.Id, final.State, final.Progress);
            for (var attempt = 0; attempt < 5 && !await PostAsync(task, final); attempt++) await Task.Delay(TimeSpan.FromSeconds(1 << attempt));
        });
    }

    private static string? Work(TaskView task, IProgress<TaskProgress> progress, CancellationToken ct)
    {
        switch (task.Kind)
        {
            case CopyKind:
                var copy = JsonSerializer.Deserialize(task.Spec, WireJson.Default.CopyTaskSpec)!;
                var c = new FileCopy(copy.From, copy.To, copy.MergeRename, progress);
                c.Run(ct);
                return $"Copied {c.Result.Copied} file(s)" + (c.Result.Skipped > 0 ? $", {c.Result.Skipped} already there" : "");
            case EmptyTrashKind:
                var trash = JsonSerializer.Deserialize(task.Spec, WireJson.Default.EmptyTrashTaskSpec)!;
                return $"Removed {TrashEmptier.Run(trash.Folder, progress, ct)} item(s)";
            default:
                throw new InvalidPathException($"Unknown task kind '{task.Kind}'");
        }
    }

    private static string Describe(Exception e) => e switch
    {
        UnauthorizedAccessException or UcloudIm.Unix.UnixIOException { IsPermissionDenied: true } => "Permission denied: " + e.Message,
        IOException { HResult: 28 } => "No space left on the device",
        _ => e.Message,
    };

    private async Task<bool> PostAsync(TaskView task, TaskStatusRequest status)
    {
        try
        {
            await server!.PostStatusAsync(task.Id, status, CancellationToken.None);
            return true;
        }
        catch (ImException e) when (e.StatusCode == 409)
        {
            return true; // already final (e.g. a resumed run of a task that had ended)
        }
        catch (Exception e) when (e is HttpRequestException or ImException or TaskCanceledException)
        {
            LogPostFailed(log, task.Id, e.Message);
            return false;
        }
    }

    [LoggerMessage(40, LogLevel.Information, "resuming task {TaskId} ({Kind})")]
    private static partial void LogResuming(ILogger logger, string taskId, string kind);

    [LoggerMessage(41, LogLevel.Warning, "could not fetch unfinished tasks from the server: {Why}")]
    private static partial void LogResumeFailed(ILogger logger, string why);

    [LoggerMessage(42, LogLevel.Information, "task {TaskId} ended {State}: {Progress}")]
    private static partial void LogFinished(ILogger logger, string taskId, string state, string? progress);

    [LoggerMessage(43, LogLevel.Warning, "could not tell the server about task {TaskId}: {Why}")]
    private static partial void LogPostFailed(ILogger logger, string taskId, string why);
}
