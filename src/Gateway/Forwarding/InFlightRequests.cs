using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Gateway.ServerLink;

namespace UcloudIm.Gateway.Forwarding;

/// <summary>
/// Requests being forwarded to each user's instance. The server reaps instances that saw no request for
/// userInstances.idleTimeout; a download or stream that lasts longer than that is activity too, so the
/// gateway reports users with requests in flight well within that time.
/// </summary>
public sealed class InFlightRequests
{
    private readonly ConcurrentDictionary<string, int> _count = new(StringComparer.Ordinal);

    public IDisposable Enter(string username)
    {
        _count.AddOrUpdate(username, 1, (_, n) => n + 1);
        return new Exit(this, username);
    }

    public IReadOnlyList<string> Busy() => _count.Where(kv => kv.Value > 0).Select(kv => kv.Key).ToList();

    private sealed class Exit(InFlightRequests owner, string username) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 1) return;
            owner._count.AddOrUpdate(username, 0, (_, n) => n - 1);
            owner._count.TryRemove(new KeyValuePair<string, int>(username, 0));
        }
    }
}

[SupportedOSPlatform("linux")]
public sealed partial class ActivityReporter(InFlightRequests inFlight, ServerClient server, TimeSpan idleTimeout, TimeProvider time, ILogger<ActivityReporter> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Three reports per idle period, so one lost report never lets a busy instance be reaped.
        var every = TimeSpan.FromTicks(Math.Clamp(idleTimeout.Ticks / 3, TimeSpan.FromMilliseconds(200).Ticks, TimeSpan.FromSeconds(60).Ticks));
        using var timer = new PeriodicTimer(every, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var busy = inFlight.Busy();
            if (busy.Count == 0) continue;
            // A report that hangs (a stopped or overloaded server) must not hold back the next one.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(every);
            try
            {
                await server.ReportActivityAsync(busy, timeout.Token);
            }
            catch (HttpRequestException e)
            {
                LogReportFailed(log, e.Message);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                LogReportFailed(log, $"no answer within {every.TotalSeconds:0.#} s");
            }
        }
    }

    [LoggerMessage(10, LogLevel.Warning, "could not report activity to the server: {Message}")]
    private static partial void LogReportFailed(ILogger logger, string message);
}
