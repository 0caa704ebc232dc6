using System.Globalization;

namespace UcloudIm.Slurm;

/// <summary>UCloud's job states.</summary>
public static class UcloudJobState
{
    public const string InQueue = "IN_QUEUE";
    public const string Running = "RUNNING";
    public const string Success = "SUCCESS";
    public const string Failure = "FAILURE";
    public const string Expired = "EXPIRED";
    public const string Suspended = "SUSPENDED";

    public static bool IsFinal(string state) => state is Success or Failure or Expired;
}

/// <summary>What a Slurm state means for UCloud, with the words the user sees.</summary>
public sealed record MappedState(string State, string Status, int? ExitCode = null, uint? CancelledBy = null)
{
    public bool IsFinal => UcloudJobState.IsFinal(State);
}

/// <summary>
/// Slurm state → UCloud state. Right where the reference was wrong (§12.9): FAILED and OUT_OF_MEMORY are
/// failures, "CANCELLED by N" is recognised, and a state we do not know is never made final by guess.
/// </summary>
public static class JobStateMapper
{
    /// <param name="exitCode">sacct's "code:signal", when known.</param>
    public static MappedState? Map(string slurmState, string? exitCode = null, string? reason = null)
    {
        var (state, by) = SplitCancelledBy(slurmState.Trim());
        var (code, signal) = ParseExitCode(exitCode);
        var why = string.IsNullOrEmpty(reason) || reason is "None" or "(null)" ? null : reason;
        return state switch
        {
            "PENDING" or "CONFIGURING" or "REQUEUED" or "REQUEUE_FED" or "REQUEUE_HOLD" or "RESIZING" or "SIGNALING"
                => new MappedState(UcloudJobState.InQueue, why is null ? "Waiting in the queue" : $"Waiting in the queue ({why})"),
            "RUNNING" or "COMPLETING" or "STAGE_OUT"
                => new MappedState(UcloudJobState.Running, "Running"),
            "SUSPENDED" or "STOPPED"
                => new MappedState(UcloudJobState.Suspended, "Suspended by the scheduler"),
            "COMPLETED"
                => new MappedState(UcloudJobState.Success, "Completed", code ?? 0),
            "CANCELLED"
                => new MappedState(UcloudJobState.Success, by switch
                {
                    null => "Cancelled",
                    0 => "Cancelled by an administrator (root)",
                    var u => $"Cancelled by uid {u}",
                }, code, by),
            "FAILED" => Failed(code, signal),
            "OUT_OF_MEMORY"
                => new MappedState(UcloudJobState.Failure, "Failed: ran out of memory", code),
            "NODE_FAIL"
                => new MappedState(UcloudJobState.Failure, "Failed: a node of the job failed", code),
            "BOOT_FAIL"
                => new MappedState(UcloudJobState.Failure, "Failed: a node could not boot", code),
            "PREEMPTED"
                => new MappedState(UcloudJobState.Failure, "Stopped: preempted by another job", code),
            "REVOKED" or "SPECIAL_EXIT"
                => new MappedState(UcloudJobState.Failure, $"Failed ({state})", code),
            "TIMEOUT"
                => new MappedState(UcloudJobState.Expired, "Stopped: it reached its time limit", code),
            "DEADLINE"
                => new MappedState(UcloudJobState.Expired, "Stopped: it reached its deadline", code),
            _ => null,
        };
    }

    /// <summary>A non-zero exit code, or a signal (shown the way a shell would: 128 + signal).</summary>
    private static MappedState Failed(int? code, int? signal) => (code, signal) switch
    {
        (null, null) => new MappedState(UcloudJobState.Failure, "Failed"),
        (null or 0, > 0) => new MappedState(UcloudJobState.Failure, $"Failed: killed by signal {signal}", 128 + signal),
        _ => new MappedState(UcloudJobState.Failure, $"Failed with exit code {code}", code),
    };

    /// <summary>"CANCELLED by 41231" → ("CANCELLED", 41231).</summary>
    public static (string State, uint? By) SplitCancelledBy(string state)
    {
        const string prefix = "CANCELLED by ";
        if (state.StartsWith(prefix, StringComparison.Ordinal) && uint.TryParse(state.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            return ("CANCELLED", uid);
        return (state, null);
    }

    /// <summary>"3:0" → (3, 0); "0:9" → (0, 9); anything else → (null, null).</summary>
    public static (int? Code, int? Signal) ParseExitCode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return (null, null);
        var colon = text.IndexOf(':');
        if (colon < 0) return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? (c, null) : (null, null);
        return int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sig)
            ? (code, sig) : (null, null);
    }
}
