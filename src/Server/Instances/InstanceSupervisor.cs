using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Unix;

namespace UcloudIm.Server.Instances;

/// <summary>
/// Reaps instances idle past userInstances.idleTimeout (activity = requests the gateway routed), and restarts
/// an instance whose user's groups changed, so new project memberships take effect without a re-login.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class InstanceSupervisor(ImConfig config, InstanceManager instances, TimeProvider time, ILogger<InstanceSupervisor> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = config.Instances;
        var tick = TimeSpan.FromTicks(Math.Min(Math.Min(options.IdleTimeout.Ticks / 4, options.GroupCheckInterval.Ticks), TimeSpan.FromSeconds(5).Ticks));
        var nextGroupCheck = time.GetUtcNow() + options.GroupCheckInterval;
        using var timer = new PeriodicTimer(tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            foreach (var instance in instances.Running)
            {
                if (now - instance.LastActivity > options.IdleTimeout)
                {
                    await instances.StopAsync(instance.Route.UcloudUsername, $"idle for {(now - instance.LastActivity).TotalSeconds:0} s");
                }
            }
            if (now < nextGroupCheck) continue;
            nextGroupCheck = now + options.GroupCheckInterval;
            foreach (var instance in instances.Running)
            {
                try
                {
                    var current = UserDatabase.GroupsOf(instance.User);
                    if (current.SequenceEqual(instance.Groups)) continue;
                    await instances.RestartAsync(instance.Route.UcloudUsername,
                        $"groups of {instance.User.Name} changed ({string.Join(',', instance.Groups)} → {string.Join(',', current)})", stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogGroupCheckFailed(log, instance.Route.UcloudUsername, e.Message);
                }
            }
        }
    }

    [LoggerMessage(30, LogLevel.Warning, "group check for {UcloudUser} failed: {Why}")]
    private static partial void LogGroupCheckFailed(ILogger logger, string ucloudUser, string why);
}
