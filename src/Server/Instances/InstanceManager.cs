using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Unix;

namespace UcloudIm.Server.Instances;

/// <summary>
/// The registry of user instances: starts one per UCloud user on demand (never two), hands the gateway its
/// route, restarts one that crashes, and stops one on request. The supervisor does reaping and group checks.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class InstanceManager(
    ImConfig config,
    ServiceAccounts accounts,
    ConnectionsRepository connections,
    InstanceLauncher launcher,
    TimeProvider time,
    ILogger<InstanceManager> log) : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    private sealed class Slot
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public RunningInstance? Current;
        public readonly Queue<DateTimeOffset> Crashes = new();
    }

    /// <summary>The route of a ready instance, counting the lookup as activity; null when none runs.</summary>
    public InstanceRoute? Resolve(string ucloudUsername)
    {
        if (!_slots.TryGetValue(ucloudUsername, out var slot) || slot.Current is not { HasExited: false, StopRequested: false } current) return null;
        current.Touch(time.GetUtcNow());
        return current.Route;
    }

    public IReadOnlyList<RunningInstance> Running =>
        _slots.Values.Select(s => s.Current).OfType<RunningInstance>().Where(i => !i.HasExited).ToList();

    /// <summary>Whether an instance runs, for reports: unlike <see cref="Resolve"/> it is not activity.</summary>
    public bool IsRunning(string ucloudUsername) =>
        _slots.TryGetValue(ucloudUsername, out var slot) && slot.Current is { HasExited: false, StopRequested: false };

    /// <summary>Starts the user's instance unless it runs, and waits until it is ready.</summary>
    public async Task<InstanceRoute> EnsureRunningAsync(string ucloudUsername, CancellationToken ct)
    {
        if (Resolve(ucloudUsername) is { } route) return route;
        var slot = _slots.GetOrAdd(ucloudUsername, _ => new Slot());
        await slot.Lock.WaitAsync(ct);
        try
        {
            if (Resolve(ucloudUsername) is { } started) return started;
            return await StartLockedAsync(ucloudUsername, slot, restarts: 0, ct);
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    /// <summary>Stops the user's instance (idle, unlinked, or about to be restarted). False when none ran.</summary>
    public async Task<bool> StopAsync(string ucloudUsername, string reason)
    {
        if (!_slots.TryGetValue(ucloudUsername, out var slot)) return false;
        await slot.Lock.WaitAsync();
        try
        {
            if (slot.Current is not { HasExited: false } current) return false;
            LogStopping(log, ucloudUsername, reason);
            await current.StopAsync(StopGrace);
            slot.Current = null;
            return true;
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    /// <summary>Stops and starts again, so the new process has the user's current groups.</summary>
    public async Task RestartAsync(string ucloudUsername, string reason, CancellationToken ct)
    {
        if (await StopAsync(ucloudUsername, reason)) await EnsureRunningAsync(ucloudUsername, ct);
    }

    private async Task<InstanceRoute> StartLockedAsync(string ucloudUsername, Slot slot, int restarts, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var connection = await connections.FindAsync(ucloudUsername, ct)
            ?? throw ImException.BadRequest($"The UCloud user '{ucloudUsername}' is not connected to this provider", "NOT_CONNECTED");
        if (!connection.IsActiveAt(now))
            throw ImException.BadRequest("Your connection to this provider has expired. You need to reauthenticate.", "CONNECTION_EXPIRED");
        var user = UserDatabase.FindByUid(connection.Uid);
        var groups = user is null ? [] : UserDatabase.GroupsOf(user);
        var refusal = Eligibility.Refusal(connection.Uid, user, groups, UserDatabase.FindGroupId(config.Instances.AllowedGroup),
            config.Instances, accounts.GatewayUid, accounts.ServerUid);
        if (refusal is not null)
        {
            LogRefused(log, ucloudUsername, refusal);
            throw ImException.Forbidden($"This provider cannot start a session for you: {refusal}");
        }

        RunningInstance instance;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
            instance = await launcher.StartAsync(ucloudUsername, user!, groups, restarts, linked.Token);
        }
        catch (InstanceStartException e)
        {
            throw new ImException(503, $"Your session on this provider could not be started ({e.Message})", "INSTANCE_START_FAILED");
        }
        slot.Current = instance;
        _ = instance.Exited.ContinueWith(_ => OnExitedAsync(ucloudUsername, slot, instance), TaskScheduler.Default).Unwrap();
        return instance.Route;
    }

    /// <summary>An exit we did not ask for is a crash: restart, unless it keeps crashing.</summary>
    private async Task OnExitedAsync(string ucloudUsername, Slot slot, RunningInstance instance)
    {
        var code = instance.Sudo.ExitCode;
        instance.Sudo.Dispose();
        if (instance.StopRequested || _shutdown.IsCancellationRequested)
        {
            LogExited(log, ucloudUsername, code);
            return;
        }
        var now = time.GetUtcNow();
        await slot.Lock.WaitAsync();
        try
        {
            if (!ReferenceEquals(slot.Current, instance)) return;
            slot.Current = null;
            while (slot.Crashes.Count > 0 && now - slot.Crashes.Peek() > TimeSpan.FromHours(1)) slot.Crashes.Dequeue();
            slot.Crashes.Enqueue(now);
            if (slot.Crashes.Count > config.Instances.MaxRestartsPerHour)
            {
                LogCrashLoop(log, ucloudUsername, code, slot.Crashes.Count);
                return; // The next request starts it again, on demand.
            }
            LogCrashed(log, ucloudUsername, code);
            try
            {
                await StartLockedAsync(ucloudUsername, slot, instance.Restarts + 1, _shutdown.Token);
            }
            catch (Exception e) when (e is ImException or OperationCanceledException)
            {
                LogRestartFailed(log, ucloudUsername, e.Message);
            }
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync();
        await Task.WhenAll(Running.Select(i => i.StopAsync(StopGrace)));
    }

    [LoggerMessage(20, LogLevel.Information, "stopping user instance for {UcloudUser}: {Reason}")]
    private static partial void LogStopping(ILogger logger, string ucloudUser, string reason);

    [LoggerMessage(21, LogLevel.Warning, "user instance for {UcloudUser} crashed (sudo exit code {Code}); restarting")]
    private static partial void LogCrashed(ILogger logger, string ucloudUser, int code);

    [LoggerMessage(22, LogLevel.Error, "user instance for {UcloudUser} crashed (exit {Code}) {Count} times in an hour; not restarting until the next request")]
    private static partial void LogCrashLoop(ILogger logger, string ucloudUser, int code, int count);

    [LoggerMessage(23, LogLevel.Error, "restarting the user instance for {UcloudUser} failed: {Why}")]
    private static partial void LogRestartFailed(ILogger logger, string ucloudUser, string why);

    [LoggerMessage(24, LogLevel.Warning, "refused a user instance for {UcloudUser}: {Why}")]
    private static partial void LogRefused(ILogger logger, string ucloudUser, string why);

    [LoggerMessage(25, LogLevel.Information, "user instance for {UcloudUser} exited (sudo exit code {Code})")]
    private static partial void LogExited(ILogger logger, string ucloudUser, int code);
}
