using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;
using UcloudIm.Slurm;

namespace UcloudIm.Server.Jobs;

/// <summary>
/// Jobs that mapped users submitted themselves (sbatch in a terminal) are shown in UCloud too: each new one
/// is registered with Core (jobs/control/register) under the smallest product of its partition's machine
/// type, then followed like any other. One extra squeue (for partitions and limits) covers all the new ones
/// of an interval; our own jobs (named ucloud-…) and finished ones are left alone. A job charged to a mapped
/// project's account, by a member of its group, is registered in that project.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class OutsideJobs(ImConfig config, JobsRepository jobs, ConnectionsRepository connections, ProjectsRepository projects, CoreClient core,
    CommandRunner runner, TimeProvider time, ILogger<OutsideJobs> log)
{
    public async Task<bool> RegisterAsync(IReadOnlyList<QueueEntry> queue, IReadOnlySet<long> tracked, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var mapped = (await connections.ListAsync(ct)).Where(c => c.IsActiveAt(now)).ToDictionary(c => c.Uid);
        var candidates = queue.Where(e => mapped.ContainsKey(e.Uid) && !e.Name.StartsWith("ucloud-", StringComparison.Ordinal)
            && !tracked.Contains(e.JobId) && JobStateMapper.Map(e.State) is { IsFinal: false }).ToList();
        candidates = (await jobs.UntrackedAsync(candidates.Select(c => c.JobId).ToList(), ct)) is var fresh ? candidates.Where(c => fresh.Contains(c.JobId)).ToList() : [];
        if (candidates.Count == 0) return false;
        var detail = await runner.RunAsync(new ExternalCommand(config.Slurm.Squeue,
            ["-h", "-a", "-j", string.Join(',', candidates.Select(c => c.JobId)), "-o", "%A\u001f%P\u001f%l\u001f%a"]) { Timeout = TimeSpan.FromSeconds(30) }, ct);
        if (!detail.Succeeded) return false;
        var info = detail.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\u001f'))
            .Where(f => f.Length == 4 && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => (Partition: f[1], Limit: JobExtension.ParseLimit(f[2]), Account: f[3].Trim()));
        var projectAccounts = await ProjectAccountsAsync(ct);
        var any = false;
        foreach (var job in candidates)
        {
            if (!info.TryGetValue(job.JobId, out var i)) continue;
            var machine = config.Slurm.Machines.FirstOrDefault(m => m.Partition == i.Partition);
            if (machine is null) continue; // not a partition this provider offers
            var product = machine.Products.OrderBy(p => p.Cpu).ThenBy(p => p.MemoryInGigs).First();
            var owner = mapped[job.Uid];
            var project = ProjectOf(i.Account, job.Uid, projectAccounts);
            var limit = i.Limit ?? TimeSpan.FromHours(1);
            var spec = new JsonObject
            {
                ["application"] = new JsonObject { ["name"] = "unknown", ["version"] = "unknown" },
                ["product"] = new JsonObject { ["id"] = product.Name, ["category"] = product.Category, ["provider"] = config.Provider.Id },
                ["name"] = job.Name, ["replicas"] = 1, ["parameters"] = new JsonObject(), ["resources"] = new JsonArray(),
                ["timeAllocation"] = new JsonObject { ["hours"] = (int)limit.TotalHours, ["minutes"] = limit.Minutes, ["seconds"] = limit.Seconds },
            };
            try
            {
                var answer = await core.PostJsonAsync("/api/jobs/control/register", new JsonObject
                {
                    ["items"] = new JsonArray(new JsonObject
                    {
                        ["spec"] = spec, ["providerGeneratedId"] = job.JobId.ToString(CultureInfo.InvariantCulture), ["createdBy"] = owner.UcloudUsername,
                        ["project"] = project?.UcloudProjectId, ["projectAllRead"] = false, ["projectAllWrite"] = false,
                    }),
                }, ct);
                var coreId = answer?["responses"]?[0]?["id"]?.ToString();
                if (string.IsNullOrEmpty(coreId)) continue;
                await jobs.TrackAsync(coreId, job.JobId, owner.Uid, owner.UcloudUsername, [$"Submitted outside UCloud (Slurm id {job.JobId})"], null, project?.UcloudProjectId, ct);
                LogRegistered(log, job.JobId, owner.UcloudUsername, coreId);
                any = true;
            }
            catch (CoreException e)
            {
                LogFailed(log, job.JobId, e.Message);
                return any;
            }
        }
        return any;
    }

    /// <summary>Mapped projects by the (lower-cased) Slurm account their jobs are charged to.</summary>
    private async Task<Dictionary<string, ProjectMapping>> ProjectAccountsAsync(CancellationToken ct)
    {
        var byAccount = new Dictionary<string, ProjectMapping>(StringComparer.Ordinal);
        foreach (var p in await projects.ListAsync(ct))
        {
            if (config.Slurm.ProjectAccountFor(p.LocalGroup, p.UcloudProjectId, p.Gid) is { } account) byAccount.TryAdd(account.ToLowerInvariant(), p);
        }
        return byAccount;
    }

    /// <summary>The project a job is charged to, if its submitter is in the project's group (an account alone proves nothing about UCloud membership).</summary>
    private static ProjectMapping? ProjectOf(string account, uint uid, Dictionary<string, ProjectMapping> byAccount)
    {
        return account.Length > 0 && byAccount.TryGetValue(account.ToLowerInvariant(), out var p) && Unix.UserDatabase.IsMember(uid, p.Gid) ? p : null;
    }

    [LoggerMessage(96, LogLevel.Information, "registered Slurm job {SlurmId} of {UcloudUser}, submitted outside UCloud, as Core's job {CoreId}")]
    private static partial void LogRegistered(ILogger logger, long slurmId, string ucloudUser, string coreId);

    [LoggerMessage(97, LogLevel.Warning, "could not register Slurm job {SlurmId} with Core (tried again later): {Why}")]
    private static partial void LogFailed(ILogger logger, long slurmId, string why);
}
