using UcloudIm.Slurm;

namespace UcloudIm.Tests.Unit.Slurm;

/// <summary>
/// Parsers and state mapping against output captured from this project's real Slurm 22.05 (deploy/cluster):
/// a failing job (exit 3), a job killed by a signal, names with '|', the delimiter itself, quotes, a tab,
/// non-ASCII and a newline, an array (and its pending remainder), a het job, jobs cancelled while running,
/// while pending and by root, a job past its time limit, a held job whose --deadline passed (DEADLINE), a
/// --no-requeue job on a node set DOWN (NODE_FAIL), a job over its --mem under task/cgroup (OUT_OF_MEMORY 0:125),
/// and the same job killed by JobAcctGatherParams=OverMemoryKill instead, which Slurm reports as FAILED 0:9.
/// </summary>
public sealed class SlurmOutputTests
{
    private static string Captured(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Slurm", "Captured", name));

    [Fact]
    public void Squeue_records_survive_names_with_the_delimiter_and_newlines()
    {
        var jobs = QueueEntry.Parse(Captured("squeue-all-states.txt"));
        Assert.Equal(19, jobs.Count); // 20 lines: one name holds a newline
        Assert.All(jobs, j => Assert.Equal(41231u, j.Uid));
        Assert.Equal("name with |pipe\u001fand \"quotes\" ✓\ttab", jobs.Single(j => j.JobId == 3).Name);
        Assert.Equal("new\nline", jobs.Single(j => j.JobId == 4).Name);
        Assert.Equal("6_[2-4%1]", jobs.Single(j => j.JobId == 6).DisplayId);
        Assert.Equal(["11+0", "11+1"], jobs.Where(j => j.Name == "het").Select(j => j.DisplayId).Order());
        Assert.Equal("TIMEOUT", jobs.Single(j => j.JobId == 7).State);
        Assert.Equal("NonZeroExitCode", jobs.Single(j => j.JobId == 1).Reason);
    }

    [Fact]
    public void Squeue_while_running_shows_pending_reasons_and_running_jobs()
    {
        var jobs = QueueEntry.Parse(Captured("squeue-running.txt"));
        Assert.Equal("RUNNING", jobs.Single(j => j.JobId == 7).State);
        Assert.Equal(("PENDING", "Resources"), (jobs.Single(j => j.JobId == 11).State, jobs.Single(j => j.JobId == 11).Reason));
        // squeue never says who cancelled; the reason stays what it was while pending.
        Assert.Equal(("CANCELLED", "JobHeldUser"), (jobs.Single(j => j.JobId == 9).State, jobs.Single(j => j.JobId == 9).Reason));
        Assert.Equal("JobArrayTaskLimit", jobs.Single(j => j.JobId == 6).Reason);
    }

    [Fact]
    public void Sacct_records_carry_exit_codes_and_who_cancelled()
    {
        var jobs = AccountingEntry.Parse(Captured("sacct-window.txt")).ToDictionary(j => j.JobId);
        Assert.Equal(("FAILED", "3:0"), (jobs[1].State, jobs[1].ExitCode));
        Assert.Equal(("FAILED", "0:9"), (jobs[10].State, jobs[10].ExitCode));
        Assert.Equal("CANCELLED by 41231", jobs[8].State);
        Assert.Equal("CANCELLED by 0", jobs[15].State);
        Assert.Equal("TIMEOUT", jobs[7].State);
        Assert.Equal("new\nline", jobs[4].Name);
        // sacct -S leaves out jobs that never became eligible: only asking by id finds them.
        Assert.False(jobs.ContainsKey(9));
        var byId = AccountingEntry.Parse(Captured("sacct-by-id.txt")).ToDictionary(j => j.JobId);
        Assert.Equal("CANCELLED by 41231", byId[9].State);
        Assert.Equal("CANCELLED by 0", byId[6].State);
    }

    [Fact]
    public void Every_captured_state_maps_and_the_final_ones_say_why()
    {
        var byId = AccountingEntry.Parse(Captured("sacct-window.txt")).Concat(AccountingEntry.Parse(Captured("sacct-by-id.txt")))
            .GroupBy(j => j.JobId).ToDictionary(g => g.Key, g => g.First());
        MappedState M(long id) => JobStateMapper.Map(byId[id].State, byId[id].ExitCode, byId[id].Reason)!;
        Assert.Equal(new MappedState("FAILURE", "Failed with exit code 3", 3), M(1));
        Assert.Equal(new MappedState("SUCCESS", "Completed", 0), M(2));
        Assert.Equal(new MappedState("EXPIRED", "Stopped: it reached its time limit", 0), M(7));
        Assert.Equal(("SUCCESS", 41231u), (M(8).State, M(8).CancelledBy!.Value));
        Assert.Equal("Cancelled by uid 41231", M(9).Status);
        Assert.Equal("Cancelled by an administrator (root)", M(15).Status);
        Assert.Equal(new MappedState("FAILURE", "Failed: killed by signal 9", 137), M(10));
        Assert.Equal(new MappedState("EXPIRED", "Stopped: it reached its deadline", 1), M(2306));
        Assert.Equal(new MappedState("FAILURE", "Failed: a node of the job failed", 0), M(2308));
        Assert.Equal(new MappedState("FAILURE", "Failed: killed by signal 9", 137), M(2311));
        Assert.Equal(new MappedState("FAILURE", "Failed: ran out of memory", 0), M(2312));
        var queue = QueueEntry.Parse(Captured("squeue-all-states.txt")).ToDictionary(q => q.JobId);
        Assert.Equal(("DEADLINE", "DeadLine"), (queue[2306].State, queue[2306].Reason));
        Assert.Equal(("NODE_FAIL", "NodeDown"), (queue[2308].State, queue[2308].Reason));
        Assert.Equal(("OUT_OF_MEMORY", "OutOfMemory"), (queue[2312].State, queue[2312].Reason));
        Assert.True(JobStateMapper.Map(queue[2306].State, null, queue[2306].Reason)!.IsFinal);
        Assert.True(JobStateMapper.Map(queue[2308].State, null, queue[2308].Reason)!.IsFinal);
        foreach (var q in QueueEntry.Parse(Captured("squeue-running.txt")).Concat(QueueEntry.Parse(Captured("squeue-all-states.txt"))))
            Assert.NotNull(JobStateMapper.Map(q.State, null, q.Reason));
    }

    [Theory]
    [InlineData("PENDING", "IN_QUEUE")]
    [InlineData("CONFIGURING", "IN_QUEUE")]
    [InlineData("REQUEUED", "IN_QUEUE")]
    [InlineData("RUNNING", "RUNNING")]
    [InlineData("COMPLETING", "RUNNING")]
    [InlineData("COMPLETED", "SUCCESS")]
    [InlineData("CANCELLED", "SUCCESS")]
    [InlineData("FAILED", "FAILURE")]
    [InlineData("OUT_OF_MEMORY", "FAILURE")]
    [InlineData("NODE_FAIL", "FAILURE")]
    [InlineData("BOOT_FAIL", "FAILURE")]
    [InlineData("TIMEOUT", "EXPIRED")]
    [InlineData("DEADLINE", "EXPIRED")]
    [InlineData("SUSPENDED", "SUSPENDED")]
    public void States_map_as_documented(string slurm, string ucloud) => Assert.Equal(ucloud, JobStateMapper.Map(slurm)!.State);

    [Theory]
    [InlineData("")]
    [InlineData("UNKNOWN")]
    [InlineData("CANCELLED+")]
    public void A_state_we_do_not_know_is_not_guessed(string slurm) => Assert.Null(JobStateMapper.Map(slurm));

    [Fact]
    public void A_plain_cancel_after_a_slurmctld_restart_still_maps() =>
        Assert.Equal(new MappedState("SUCCESS", "Cancelled"), JobStateMapper.Map("CANCELLED", null));
}

public sealed class TimeLimitTests
{
    [Theory]
    [InlineData("1:00", 0, 1, 0)]
    [InlineData("10:00", 0, 10, 0)]
    [InlineData("1:00:00", 1, 0, 0)]
    [InlineData("1-04:00:00", 28, 0, 0)]
    public void Squeue_limits_parse(string text, int hours, int minutes, int seconds) =>
        Assert.Equal(new TimeSpan(hours, minutes, seconds), UcloudIm.Server.Jobs.JobExtension.ParseLimit(text));

    [Theory]
    [InlineData("UNLIMITED")]
    [InlineData("Partition_Limit")]
    [InlineData("")]
    public void Limits_that_are_not_durations_are_not_guessed(string text) => Assert.Null(UcloudIm.Server.Jobs.JobExtension.ParseLimit(text));
}
