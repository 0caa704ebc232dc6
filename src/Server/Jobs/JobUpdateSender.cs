using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;

namespace UcloudIm.Server.Jobs;

/// <summary>
/// Sends job updates to Core in order, in batches of up to 100, from the job_updates table; a batch is marked
/// sent only after Core accepted it, so a crash resends it (duplicates are harmless: the same state again).
/// Core away → backoff up to a minute. Core refusing a batch outright (4xx) → logged and skipped, so one bad
/// job cannot hold every other job's updates back.
/// </summary>
internal sealed partial class JobUpdateSender(JobsRepository jobs, CoreClient core, ILogger<JobUpdateSender> log) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Signal() => _signal.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            await _signal.WaitAsync(backoff > TimeSpan.Zero ? backoff : TimeSpan.FromSeconds(2), stoppingToken);
            try
            {
                while (await jobs.UnsentAsync(100, stoppingToken) is { Count: > 0 } batch)
                {
                    var items = new JsonArray();
                    foreach (var u in batch)
                    {
                        items.Add(new JsonObject
                        {
                            ["id"] = u.CoreId,
                            ["update"] = new JsonObject { ["state"] = u.State, ["status"] = u.Status, ["timestamp"] = u.CreatedAt.ToUnixTimeMilliseconds() },
                        });
                    }
                    try
                    {
                        await core.PostJsonAsync("/api/jobs/control/update", new JsonObject { ["items"] = items }, stoppingToken);
                    }
                    catch (CoreException e) when (e.Status is >= 400 and < 500 and not (401 or 408 or 429))
                    {
                        LogRefused(log, batch.Count, e.Message);
                    }
                    await jobs.MarkSentAsync(batch.Select(u => u.Seq), stoppingToken);
                }
                backoff = TimeSpan.Zero;
            }
            catch (CoreException e)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
                LogCoreAway(log, e.Message, backoff.TotalSeconds);
            }
        }
    }

    [LoggerMessage(93, LogLevel.Warning, "job updates not sent to Core ({Why}); retrying in {Seconds} s")]
    private static partial void LogCoreAway(ILogger logger, string why, double seconds);

    [LoggerMessage(94, LogLevel.Error, "Core refused {Count} job update(s) and they are dropped: {Why}")]
    private static partial void LogRefused(ILogger logger, int count, string why);
}
