using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Slurm;

namespace UcloudIm.Server.Jobs;

/// <summary>
/// One poller for the whole cluster. Each interval: nothing at all when no job is followed; otherwise one
/// squeue for every job (two slurmctld RPCs, however many users and jobs), and one sacct by id for the jobs
/// squeue showed finished or no longer shows (sacct -S misses jobs that never became eligible). No command
/// runs per job. When Slurm does not answer, or does not know a job, nothing is recorded: a final state is
/// never given by guess.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class JobMonitor(ImConfig config, JobsRepository jobs, JobUpdateSender sender, CommandRunner runner, OutsideJobs outside,
    WebEndpointsRepository endpoints, TimeProvider time, ILogger<JobMonitor> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(config.Slurm.MonitorInterval);
        do
        {
            try
            {
                await PollOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPollFailed(log, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private DateTimeOffset _lastDiscovery = DateTimeOffset.MinValue;

    internal async Task PollOnceAsync(CancellationToken ct)
    {
        var active = await jobs.ActiveAsync(ct);
        // Jobs users submitted themselves are looked for every outsideJobsInterval, or whenever squeue runs anyway.
        var discover = config.Slurm.OutsideJobsInterval is { } every && time.GetUtcNow() - _lastDiscovery >= every;
        if (active.Count == 0 && !discover) return;
        var squeue = await runner.RunAsync(new ExternalCommand(config.Slurm.Squeue, ["-h", "-a", "-t", "all", "-o", QueueEntry.Format]) { Timeout = TimeSpan.FromSeconds(30) }, ct);
        if (!squeue.Succeeded)
        {
            LogSlurmAway(log, "squeue", squeue.Stderr.Trim());
            return;
        }
        var entries = QueueEntry.Parse(squeue.Stdout);
        var queue = entries.GroupBy(e => e.JobId).ToDictionary(g => g.Key, g => g.Last());
        if (config.Slurm.OutsideJobsInterval is not null)
        {
            _lastDiscovery = time.GetUtcNow();
            if (await outside.RegisterAsync(entries, active.Select(a => a.SlurmId).ToHashSet(), ct))
            {
                sender.Signal();
                active = await jobs.ActiveAsync(ct);
            }
        }
        var ask = new List<(TrackedJob Job, MappedState? FromQueue)>();
        var changes = new List<StateChange>();
        foreach (var job in active)
        {
            if (!queue.TryGetValue(job.SlurmId, out var e))
            {
                ask.Add((job, null));
                continue;
            }
            if (e.Uid != job.OwnerUid)
            {
                LogOwnerMismatch(log, job.CoreId, job.SlurmId, e.Uid, job.OwnerUid);
                continue;
            }
            var m = JobStateMapper.Map(e.State, null, e.Reason);
            if (m is null) continue;
            if (m.IsFinal) ask.Add((job, m)); // its exit code and who cancelled are in sacct
            else changes.Add(new StateChange(job.CoreId, m.State, m.Status));
        }
        if (ask.Count > 0)
        {
            var ids = string.Join(',', ask.Select(a => a.Job.SlurmId));
            var sacct = await runner.RunAsync(new ExternalCommand(config.Slurm.Sacct,
                ["-a", "-n", "-X", "-P", "--delimiter=" + SlurmRecords.Delimiter, "-j", ids, "-o", AccountingEntry.Fields]) { Timeout = TimeSpan.FromSeconds(30) }, ct);
            if (!sacct.Succeeded) LogSlurmAway(log, "sacct", sacct.Stderr.Trim());
            var accounting = sacct.Succeeded
                ? AccountingEntry.Parse(sacct.Stdout).GroupBy(e => e.JobId).ToDictionary(g => g.Key, g => g.Last())
                : [];
            foreach (var (job, fromQueue) in ask)
            {
                MappedState? m = null;
                if (accounting.TryGetValue(job.SlurmId, out var a))
                {
                    if (a.Uid != job.OwnerUid)
                    {
                        LogOwnerMismatch(log, job.CoreId, job.SlurmId, a.Uid, job.OwnerUid);
                        continue;
                    }
                    m = JobStateMapper.Map(a.State, a.ExitCode, a.Reason);
                }
                // squeue saw it end but accounting has no record yet: its state without the details.
                m ??= fromQueue;
                if (m is not null) changes.Add(new StateChange(job.CoreId, m.State, m.Status));
            }
        }
        if (await jobs.RecordAsync(changes, ct) > 0) sender.Signal();
        // An ended job's interfaces closed with it; their rows go too.
        if (changes.Any(c => JobsRepository.IsFinal(c.State))) await endpoints.ForgetEndedAsync(ct);
    }

    [LoggerMessage(90, LogLevel.Warning, "job monitor: {Command} failed ({Why}); no job states change until Slurm answers")]
    private static partial void LogSlurmAway(ILogger logger, string command, string why);

    [LoggerMessage(91, LogLevel.Error, "job {CoreId} (Slurm {SlurmId}) belongs to uid {Uid}, not to uid {Owner} who submitted it; not reported")]
    private static partial void LogOwnerMismatch(ILogger logger, string coreId, long slurmId, uint uid, uint owner);

    [LoggerMessage(92, LogLevel.Warning, "job monitor poll failed: {Why}")]
    private static partial void LogPollFailed(ILogger logger, string why);
}
