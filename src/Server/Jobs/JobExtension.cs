using System.Globalization;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Hosting;
using UcloudIm.Persistence;

namespace UcloudIm.Server.Jobs;

/// <summary>
/// jobs/extend: users cannot raise their own time limits in Slurm, so the server does it with its operator
/// rights, after checking that the job is one it follows for the caller, that it has not ended, and that the
/// new limit stays within services.slurm.maxTimeLimit.
/// </summary>
internal sealed partial class JobExtension(ImConfig config, JobsRepository jobs, CommandRunner runner, ILogger<JobExtension> log)
{
    public async Task ExtendAsync(uint callerUid, long slurmId, long minutes, CancellationToken ct)
    {
        if (minutes is < 1 or > 100_000) throw ImException.BadRequest("An extension is between 1 minute and 100 000 minutes");
        var job = await jobs.FindBySlurmIdAsync(slurmId, ct);
        if (job is null || job.OwnerUid != callerUid) throw ImException.NotFound($"You have no job {slurmId} here");
        if (JobsRepository.IsFinal(job.State)) throw ImException.BadRequest("The job has ended; it cannot be extended");
        var current = await runner.RunAsync(new ExternalCommand(config.Slurm.Squeue, ["-h", "-a", "-j", slurmId.ToString(CultureInfo.InvariantCulture), "-o", "%l"]), ct);
        var limit = current.Succeeded ? ParseLimit(current.Stdout.Trim()) : null;
        if (limit is null) throw new ImException(503, "Slurm did not say the job's current time limit; try again", "UNAVAILABLE");
        var wanted = limit.Value + TimeSpan.FromMinutes(minutes);
        if (wanted > config.Slurm.MaxTimeLimit)
            throw ImException.BadRequest($"The job would run for {wanted.TotalHours:0.#} h; this provider allows at most {config.Slurm.MaxTimeLimit.TotalHours:0.#} h");
        var r = await runner.RunAsync(new ExternalCommand(config.Slurm.Scontrol,
            ["update", $"JobId={slurmId}", $"TimeLimit=+{minutes}"]), ct);
        if (!r.Succeeded) throw ImException.BadRequest($"Slurm would not extend job {slurmId}: {r.Stderr.Trim()}");
        LogExtended(log, slurmId, minutes, job.UcloudUsername);
    }

    /// <summary>squeue %l: "1:00", "10:00", "1:00:00", "1-04:00:00"; UNLIMITED and the like are null.</summary>
    internal static TimeSpan? ParseLimit(string s)
    {
        var days = 0;
        var dash = s.IndexOf('-');
        if (dash > 0)
        {
            if (!int.TryParse(s.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out days)) return null;
            s = s[(dash + 1)..];
        }
        var parts = s.Split(':');
        if (parts.Length is < 2 or > 3 || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _))) return null;
        var n = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return parts.Length == 3 || dash > 0
            ? new TimeSpan(days, n[0], n[1], n.Length > 2 ? n[2] : 0)
            : new TimeSpan(0, n[0], n[1]);
    }

    [LoggerMessage(95, LogLevel.Information, "extended Slurm job {SlurmId} by {Minutes} min for {UcloudUser}")]
    private static partial void LogExtended(ILogger logger, long slurmId, long minutes, string ucloudUser);
}
