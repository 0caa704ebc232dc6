using System.Diagnostics;
using System.Runtime.Versioning;
using UcloudIm.Contracts;
using UcloudIm.Unix;

namespace UcloudIm.Server.Instances;

/// <summary>
/// One user instance: the sudo process we started (the instance is its child, running as the user; only sudo
/// is ours to signal) and the route the gateway uses to reach it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class RunningInstance(Process sudo, InstanceRoute route, UnixUser user, uint[] groups, DateTimeOffset startedAt, int restarts)
{
    private long _lastActivityMs = startedAt.ToUnixTimeMilliseconds();

    public Process Sudo { get; } = sudo;
    public InstanceRoute Route { get; } = route;
    public UnixUser User { get; } = user;
    public uint[] Groups { get; } = groups;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public int Restarts { get; } = restarts;
    public bool StopRequested { get; private set; }
    public required Task Exited { get; init; }

    public DateTimeOffset LastActivity => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastActivityMs));

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastActivityMs, now.ToUnixTimeMilliseconds());

    public bool HasExited => Exited.IsCompleted;

    /// <summary>
    /// Graceful first: closing stdin tells the instance to stop. Then SIGTERM to sudo (which relays it),
    /// and SIGKILL to sudo as a last resort.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        StopRequested = true;
        if (HasExited) return;
        try { Sudo.StandardInput.Close(); } catch (IOException) { } catch (InvalidOperationException) { }
        if (await ExitedWithin(grace)) return;
        ProcessIdentity.Signal(Sudo.Id, ProcessIdentity.SIGTERM);
        if (await ExitedWithin(grace)) return;
        ProcessIdentity.Signal(Sudo.Id, ProcessIdentity.SIGKILL);
        await ExitedWithin(grace);
    }

    private async Task<bool> ExitedWithin(TimeSpan t)
    {
        await Task.WhenAny(Exited, Task.Delay(t));
        return HasExited;
    }
}
