using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;
using UcloudIm.Server.Instances;

namespace UcloudIm.Server.Tasks;

/// <summary>
/// Sends task states Core has not accepted yet, oldest first, with backoff while Core is away; a state is
/// marked sent only after Core said yes, so a crash in between sends it again (harmless: it is the same state).
/// At start it also brings up the instances of users with unfinished tasks, which resume them.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class TaskReporter(TasksRepository tasks, TaskService service, CoreClient core, InstanceManager instances, ILogger<TaskReporter> log)
    : BackgroundService
{
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ResumeAsync(stoppingToken);
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            await service.WaitForChangeAsync(backoff > TimeSpan.Zero ? backoff : Idle, stoppingToken);
            try
            {
                foreach (var t in await tasks.UnreportedAsync(100, stoppingToken))
                {
                    await core.PostTaskStatusAsync(t.CoreId, t.State, t.Title, t.Progress, t.Percentage, t.UpdatedAt, stoppingToken);
                    await tasks.MarkReportedAsync(t.Id, t.Version, stoppingToken);
                }
                backoff = TimeSpan.Zero;
            }
            catch (CoreException e)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                LogCoreAway(log, e.Message, backoff.TotalSeconds);
            }
        }
    }

    private async Task ResumeAsync(CancellationToken ct)
    {
        foreach (var user in (await tasks.UnfinishedAsync(null, ct)).Select(t => t.UcloudUsername).Distinct())
        {
            try
            {
                await instances.EnsureRunningAsync(user, ct);
                LogResumed(log, user);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogResumeFailed(log, user, e.Message);
            }
        }
    }

    [LoggerMessage(73, LogLevel.Warning, "task states not sent to Core ({Why}); retrying in {Seconds} s")]
    private static partial void LogCoreAway(ILogger logger, string why, double seconds);

    [LoggerMessage(74, LogLevel.Information, "started the instance of {UcloudUser} to resume its unfinished tasks")]
    private static partial void LogResumed(ILogger logger, string ucloudUser);

    [LoggerMessage(75, LogLevel.Warning, "could not start the instance of {UcloudUser} to resume its tasks: {Why}")]
    private static partial void LogResumeFailed(ILogger logger, string ucloudUser, string why);
}
