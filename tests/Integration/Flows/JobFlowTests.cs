using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>"Starting a Job" on the real Slurm: sbatch as the user, one monitor, states that reach Core.</summary>
[Collection(StackCollection.Name)]
public sealed class JobFlowTests(Stack stack)
{
    private Task<JsonNode> Start(TestUser user, string script, int sleep = 0, int minutes = 10, string product = "std-1") =>
        stack.StartJobAsync(user, script, sleep, minutes, product);

    private Task<JsonNode> Job(TestUser user, string id) => stack.JobAsync(user, id);

    private async Task<JsonNode> Final(TestUser user, string id, TimeSpan? timeout = null)
    {
        JsonNode? job = null;
        await Stack.WaitFor($"job {id} to end", async () =>
        {
            job = await Job(user, id);
            return job["state"]!.ToString() is "SUCCESS" or "FAILURE" or "EXPIRED";
        }, timeout ?? TimeSpan.FromSeconds(60));
        return job!;
    }

    private static List<string> States(JsonNode job) => job["updates"]!.AsArray().Select(u => u!["state"]!.ToString()).ToList();

    [Fact]
    public async Task A_job_runs_as_the_user_and_in_queue_running_success_reach_core_in_order()
    {
        var user = await stack.CreateUserAsync();
        var started = await Start(user, "echo hello from $(id -un)", sleep: 3);
        Assert.True(started["status"]!.GetValue<int>() == 200, started.ToJsonString());
        var id = started["jobId"]!.ToString();
        var job = await Final(user, id);
        Assert.Equal(["IN_QUEUE", "RUNNING", "SUCCESS"], States(job));
        Assert.StartsWith("Submitted to the queue (Slurm id ", job["updates"]![0]!["status"]!.ToString());
        Assert.DoesNotContain(job["updates"]!.AsArray(), u => u!["status"]!.ToString().StartsWith("SSH", StringComparison.Ordinal));
        var folder = $"/home/{user.LocalName}/ucloud-jobs/{id}";
        Assert.Equal($"hello from {user.LocalName}\n", await File.ReadAllTextAsync($"{folder}/stdout.txt"));
        Assert.Equal(user.Uid, UcloudIm.Unix.FileStat.Of($"{folder}/stdout.txt")!.Value.Uid);
        Assert.Contains("#SBATCH --job-name=ucloud-" + id, await File.ReadAllTextAsync($"{folder}/job.sbatch"));
    }

    [Fact]
    public async Task A_job_started_with_ssh_says_how_to_log_in_and_the_srun_it_names_reaches_the_job()
    {
        var user = await stack.CreateUserAsync();
        await using var _ = Stack.CancelJobsAtEnd(user);
        var started = await stack.StartJobAsync(user, "true", sleep: 120, ssh: true);
        Assert.True(started["status"]!.GetValue<int>() == 200, started.ToJsonString());
        var id = started["jobId"]!.ToString();
        await Stack.WaitFor("the job to run", async () => (await Job(user, id))["state"]!.ToString() == "RUNNING", TimeSpan.FromSeconds(60));
        var updates = (await Job(user, id))["updates"]!.AsArray();
        var slurmId = updates[0]!["status"]!.ToString().Split("Slurm id ")[1].TrimEnd(')');
        Assert.Equal(["IN_QUEUE", "IN_QUEUE", "RUNNING"], updates.Select(u => u!["state"]!.ToString()));
        Assert.Equal($"SSH: log in with 'ssh {user.LocalName}@127.0.0.1 -p {stack.SshLoginPort}'; while the job runs, 'srun --jobid {slurmId} --overlap --pty bash -l' there opens a shell inside it",
            updates[1]!["status"]!.ToString());
        // What the line tells the user to type, without the terminal (--pty) a test has none of: it runs in the job, as them.
        var inside = await Shell.As(user.LocalName, "srun", "--jobid", slurmId, "--overlap", "bash", "-lc", "echo $SLURM_JOB_ID $(id -un)");
        Assert.True(inside.Succeeded, inside.Stderr);
        Assert.Equal($"{slurmId} {user.LocalName}", inside.Stdout.Trim());
    }

    [Fact]
    public async Task A_job_over_its_products_memory_fails_with_out_of_memory()
    {
        // deploy/cluster/slurm-up.sh confines jobs with task/cgroup when the cgroup v1 memory controller is there.
        var plugin = (await Shell.Ok("scontrol", "show", "config")).Stdout.Split('\n').Single(l => l.StartsWith("TaskPlugin ", StringComparison.Ordinal));
        Assert.SkipWhen(!plugin.Contains("task/cgroup", StringComparison.Ordinal), $"this cluster does not confine memory ({plugin.Trim()})");
        var user = await stack.CreateUserAsync();
        // std-1 has 1 GiB; the job touches 1.5 GiB.
        var id = (await Start(user, "python3 -c 'b = b\"x\" * (1536 << 20)'"))["jobId"]!.ToString();
        var job = await Final(user, id);
        Assert.Equal("FAILURE", job["state"]!.ToString());
        Assert.Equal("Failed: ran out of memory", job["updates"]!.AsArray().Last()!["status"]!.ToString());
    }

    [Fact]
    public async Task A_failing_job_reports_its_exit_code_and_a_cancelled_one_who_cancelled_it()
    {
        var user = await stack.CreateUserAsync();
        var failing = (await Start(user, "exit 3"))["jobId"]!.ToString();
        var sleeper = (await Start(user, "sleep 300"))["jobId"]!.ToString();
        var failed = await Final(user, failing);
        Assert.Equal("FAILURE", failed["state"]!.ToString());
        Assert.Equal("Failed with exit code 3", failed["updates"]!.AsArray().Last()!["status"]!.ToString());

        await Stack.WaitFor("the sleeper to run", async () => (await Job(user, sleeper))["state"]!.ToString() == "RUNNING", TimeSpan.FromSeconds(60));
        var cancel = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs/{sleeper}/cancel", null);
        Assert.Contains("\"status\":200", await cancel.Content.ReadAsStringAsync());
        var cancelled = await Final(user, sleeper);
        Assert.Equal("SUCCESS", cancelled["state"]!.ToString());
        Assert.Equal($"Cancelled by uid {user.Uid}", cancelled["updates"]!.AsArray().Last()!["status"]!.ToString());
    }

    [Fact]
    public async Task A_job_past_its_time_limit_expires()
    {
        var user = await stack.CreateUserAsync();
        var id = (await Start(user, "sleep 600", minutes: 1))["jobId"]!.ToString();
        var job = await Final(user, id, TimeSpan.FromSeconds(150));
        Assert.Equal("EXPIRED", job["state"]!.ToString());
        Assert.Equal(["IN_QUEUE", "RUNNING", "EXPIRED"], States(job));
    }

    [Fact]
    public async Task An_extended_job_runs_past_its_first_limit_and_only_its_owner_may_extend_it_within_the_maximum()
    {
        var user = await stack.CreateUserAsync();
        var other = await stack.CreateUserAsync();
        var id = (await Start(user, "sleep 80; echo survived", minutes: 1))["jobId"]!.ToString();
        await Stack.WaitFor("the job to run", async () => (await Job(user, id))["state"]!.ToString() == "RUNNING", TimeSpan.FromSeconds(60));

        async Task<JsonNode> Extend(TestUser who, int minutes) => JsonNode.Parse(await (await stack.Sandbox.PostAsync(
            $"/sandbox/users/{Uri.EscapeDataString(who.UcloudName)}/jobs/{id}/extend",
            new StringContent(new JsonObject { ["minutes"] = minutes }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!;
        var stranger = await Extend(other, 5);
        Assert.Equal(404, stranger["status"]!.GetValue<int>());
        var tooMuch = await Extend(user, 10_000);
        Assert.Equal(400, tooMuch["status"]!.GetValue<int>());
        Assert.Contains("at most", tooMuch["body"]!["why"]!.ToString());
        var ok = await Extend(user, 2);
        Assert.True(ok["status"]!.GetValue<int>() == 200, ok.ToJsonString());

        var job = await Final(user, id, TimeSpan.FromSeconds(150));
        Assert.Equal("SUCCESS", job["state"]!.ToString());
        Assert.Equal("survived\n", await File.ReadAllTextAsync($"/home/{user.LocalName}/ucloud-jobs/{id}/stdout.txt"));
    }

    [Fact]
    public async Task After_kill_9_of_the_server_every_job_still_reaches_its_final_state_with_updates_in_order()
    {
        var user = await stack.CreateUserAsync();
        var ids = new List<string>();
        foreach (var sleep in new[] { 2, 5, 8, 12 }) ids.Add((await Start(user, "true", sleep: sleep))["jobId"]!.ToString());
        await Stack.WaitFor("a job to run", async () => (await Job(user, ids[0]))["state"]!.ToString() != "IN_QUEUE", TimeSpan.FromSeconds(60));
        await stack.RestartServerAsync(() => Task.Delay(TimeSpan.FromSeconds(6)), kill: true);

        string[] order = ["IN_QUEUE", "RUNNING", "SUCCESS"];
        foreach (var id in ids)
        {
            var job = await Final(user, id, TimeSpan.FromSeconds(90));
            var states = States(job);
            Assert.Equal("SUCCESS", states[^1]);
            Assert.Equal("IN_QUEUE", states[0]);
            // Sent again after the crash is allowed; going backwards, or anything after the end, is not.
            var ranks = states.Select(s => Array.IndexOf(order, s)).ToList();
            Assert.True(ranks.Zip(ranks.Skip(1)).All(p => p.First <= p.Second), $"job {id}: {string.Join(" → ", states)}");
            Assert.Single(states, "SUCCESS");
        }
    }

    [Fact]
    public async Task Following_a_job_streams_its_output_as_it_grows_and_ends_when_the_job_does()
    {
        var user = await stack.CreateUserAsync();
        var id = (await Start(user, "for i in 1 2 3; do echo line $i; sleep 1; done; echo oops >&2"))["jobId"]!.ToString();
        var follow = JsonNode.Parse(await (await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs/{id}/follow", null))
            .Content.ReadAsStringAsync())!;
        Assert.True(follow["status"]!.GetValue<int>() == 200, follow.ToJsonString());
        Assert.Equal("line 1\nline 2\nline 3\n", follow["stdout"]!.ToString());
        Assert.Equal("oops\n", follow["stderr"]!.ToString());
        Assert.True(follow["messages"]!.GetValue<int>() >= 3, $"the output came in {follow["messages"]} message(s), not as it grew");
        Assert.Equal("SUCCESS", (await Job(user, id))["state"]!.ToString());

        var other = await stack.CreateUserAsync();
        var stranger = JsonNode.Parse(await (await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(other.UcloudName)}/jobs/{id}/follow", null))
            .Content.ReadAsStringAsync())!;
        Assert.Equal(404, stranger["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task With_slurmctld_stopped_for_60_s_no_job_gets_a_final_state_it_did_not_have_and_monitoring_resumes()
    {
        var user = await stack.CreateUserAsync();
        var id = (await Start(user, "sleep 10; echo after"))["jobId"]!.ToString();
        await Stack.WaitFor("the job to run", async () => (await Job(user, id))["state"]!.ToString() == "RUNNING", TimeSpan.FromSeconds(60));
        var pid = int.Parse((await File.ReadAllTextAsync("/run/slurm/slurmctld.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Shell.Ok("kill", "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await Stack.WaitFor("slurmctld to stop", () => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(30));
            // The job ends on its node meanwhile; nobody can ask slurmctld, so nothing may be concluded.
            for (var t = 0; t < 60; t++)
            {
                Assert.Equal("RUNNING", (await Job(user, id))["state"]!.ToString());
                await Task.Delay(1000);
            }
        }
        finally
        {
            await Shell.Ok("/usr/sbin/slurmctld");
        }
        var job = await Final(user, id, TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", job["state"]!.ToString());
        Assert.Equal(["IN_QUEUE", "RUNNING", "SUCCESS"], States(job));
        Assert.Contains("job monitor: squeue failed", stack.DaemonLog("server"));
    }

    [Fact]
    public async Task A_job_the_user_submitted_in_a_terminal_appears_in_core_and_is_followed_to_its_end()
    {
        var user = await stack.CreateUserAsync();
        var submitted = await Shell.Ok("setpriv", $"--reuid={user.LocalName}", $"--regid={user.LocalName}", "--init-groups", "--",
            "sbatch", "--parsable", "-J", "by hand", "-p", "debug", "-o", $"/home/{user.LocalName}/by-hand.out", "--wrap", "sleep 4");
        var slurmId = submitted.Stdout.Trim().Split(';')[0];
        var job = await stack.OutsideJobAsync(user, slurmId);
        Assert.Equal("by hand", job["specification"]!["name"]!.ToString());
        Assert.Null(job["owner"]!["project"]);
        Assert.Equal("std-1", job["specification"]!["product"]!["id"]!.ToString());
        var final = await Final(user, job["id"]!.ToString());
        Assert.Equal("SUCCESS", final["state"]!.ToString());
        Assert.StartsWith("Submitted outside UCloud", final["updates"]![0]!["status"]!.ToString());
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_what_to_fix_and_nothing_is_submitted()
    {
        var user = await stack.CreateUserAsync();
        var product = await Start(user, "true", product: "huge-99");
        Assert.Equal(400, product["status"]!.GetValue<int>());
        Assert.Contains("no machine 'huge-99'", product["body"]!["why"]!.ToString());
        var sleep = await Start(user, "true", sleep: 100_000);
        Assert.Equal(400, sleep["status"]!.GetValue<int>());
        Assert.Contains("'sleep' must be at most 3600", sleep["body"]!["why"]!.ToString());
        var unmapped = await stack.CreateUserAsync();
        await Shell.Ok("sacctmgr", "-i", "delete", "user", unmapped.LocalName);
        var refused = await Start(unmapped, "true");
        Assert.Equal(400, refused["status"]!.GetValue<int>());
        Assert.Contains("Slurm refused the job", refused["body"]!["why"]!.ToString());
        Assert.Contains("Invalid account", refused["body"]!["why"]!.ToString());
    }

    [Fact]
    public async Task A_parameter_cannot_become_shell_syntax()
    {
        var user = await stack.CreateUserAsync();
        // The script parameter is one quoted word: the quote, semicolon and $(...) stay text for `bash -c`.
        var id = (await Start(user, "echo 'it''s' \"$((6*7))\"; echo done"))["jobId"]!.ToString();
        var job = await Final(user, id);
        Assert.Equal("SUCCESS", job["state"]!.ToString());
        Assert.Equal("its 42\ndone\n", await File.ReadAllTextAsync($"/home/{user.LocalName}/ucloud-jobs/{id}/stdout.txt"));
    }
}
