using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// Projects: a UCloud project mapped to a real Unix group. Its drive is a folder of that group, shared by the
/// group's members and closed to everyone else by the kernel; its jobs run in that folder and are charged to
/// the project's Slurm account. A member added to the group gets in without logging in again.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class ProjectTests(Stack stack)
{
    [Fact]
    public async Task A_mapped_projects_drive_is_shared_by_its_group_and_its_jobs_are_charged_to_its_account()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        await using var aliceJobs = Stack.CancelJobsAtEnd(alice);
        var group = await stack.CreateGroupAsync();
        await Shell.Ok("usermod", "-aG", group, alice.LocalName);
        var folder = await ProjectFolderAsync(group);
        await Shell.Ok("sacctmgr", "-i", "add", "account", group, "description=ucloud-im project test", "organization=ucloud-im");
        try
        {
            await Shell.Ok("sacctmgr", "-i", "add", "user", alice.LocalName, $"account={group}");
            var project = Guid.NewGuid().ToString();
            var mapped = await stack.Cli("projects", "add", "--ucloud-id", project, "--local-group", group, "--title", "Protein folding");
            Assert.True(mapped.ExitCode == 0, mapped.Stdout + mapped.Stderr);
            Assert.Contains($"group {group}", mapped.Stdout);

            // Core now knows the project's drive, owned by the project.
            var drive = await ProjectDriveAsync(project);
            Assert.Equal(("Project files", folder), (drive["title"]!.GetValue<string>(), drive["localPath"]!.GetValue<string>()));
            var root = "/" + drive["id"]!.GetValue<string>();

            // alice (in the group) makes a folder in it: hers, of the project's group, closed to others.
            var made = await stack.ActAsync(alice, "files/folder", new JsonObject { ["path"] = root + "/results" });
            Assert.True(made.Status == 200, made.Why);
            var stat = UcloudIm.Unix.FileStat.Of(folder + "/results")!.Value;
            Assert.Equal((alice.Uid, UcloudIm.Unix.UserDatabase.FindGroupId(group)!.Value), (stat.Uid, stat.Gid));
            Assert.Equal(0, (int)stat.Mode & 0b000_000_111);

            // bob is in the project in UCloud but not in its group here: the kernel says no, and so does the server for jobs.
            var refused = await stack.BrowseAsync(bob, root, hold: true);
            Assert.Equal(403, refused.Status);
            // The refusal says which folder is closed, whose it is, and that bob is not in its group.
            Assert.Equal($"Permission denied: {root}: you may not list the folder {root}, which belongs to root and the group {group} (rwxrws---), "
                + $"and you ({bob.LocalName}) are not in {group}", refused.Why);
            var below = await stack.BrowseAsync(bob, root + "/results", hold: true);
            Assert.Equal(403, below.Status);
            Assert.Contains($"you may not open the folder {root}, which belongs to root", below.Why);
            var bobsJob = await stack.StartJobAsync(bob, "echo should not run", project: project);
            Assert.Equal(403, bobsJob["status"]!.GetValue<int>());
            Assert.Contains($"not in the group {group} of project 'Protein folding'", bobsJob["body"]!["why"]!.GetValue<string>());

            // Added to the group, bob's instance is restarted with it and he sees alice's folder, with no new login.
            await Shell.Ok("usermod", "-aG", group, bob.LocalName);
            await Stack.WaitFor("bob's instance to pick up the project's group", async () =>
                (await stack.BrowseAsync(bob, root, hold: true)).Names.Contains("results"), TimeSpan.FromSeconds(30));
            // In the group but with no association with the project's account: refused in words, before sbatch.
            bobsJob = await stack.StartJobAsync(bob, "echo should not run", project: project);
            Assert.Equal(400, bobsJob["status"]!.GetValue<int>());
            Assert.Contains($"This project's jobs are charged to the Slurm account '{group}', but you ({bob.LocalName}) have no association", bobsJob["body"]!["why"]!.GetValue<string>());

            // alice's job in the project runs in the project's drive, charged to the project's account.
            var started = await stack.StartJobAsync(alice, "id -gn; touch made-by-job", project: project);
            Assert.True(started["status"]!.GetValue<int>() == 200, started.ToJsonString());
            var id = started["jobId"]!.ToString();
            var jobFolder = $"{folder}/ucloud-jobs/{id}";
            Assert.Contains($"#SBATCH --account={group}", await File.ReadAllTextAsync($"{jobFolder}/job.sbatch"));
            await Stack.WaitFor("the project's job to end", async () => (await stack.JobAsync(alice, id))["state"]!.ToString() is "SUCCESS" or "FAILURE", TimeSpan.FromSeconds(60));
            Assert.Equal("SUCCESS", (await stack.JobAsync(alice, id))["state"]!.ToString());
            var slurmId = (await File.ReadAllTextAsync($"{jobFolder}/slurm-id")).Trim();
            var account = (await Shell.Ok("sacct", "-n", "-X", "-P", "-j", slurmId, "-o", "account")).Stdout.Trim();
            Assert.Equal(group, account);
            // Its output is the project's: bob, a member, reads it through his own instance.
            Assert.Equal(UcloudIm.Unix.UserDatabase.FindGroupId(group)!.Value, UcloudIm.Unix.FileStat.Of($"{jobFolder}/made-by-job")!.Value.Gid);
            var listing = await stack.BrowseAsync(bob, $"{root}/ucloud-jobs/{id}", hold: true);
            Assert.True(listing.Status == 200, listing.Why);
            Assert.Contains("made-by-job", listing.Names);
            Assert.Contains("stdout.txt", listing.Names);

            // The job's output follows from the project folder, where the job ran.
            var follow = JsonNode.Parse(await (await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(alice.UcloudName)}/jobs/{id}/follow", null)).Content.ReadAsStringAsync())!;
            Assert.Contains(alice.LocalName, follow["stdout"]!.GetValue<string>());
            // A job alice submits in a terminal, charged to the project's account, shows up in the project in UCloud.
            var byHand = await Shell.Ok("setpriv", $"--reuid={alice.LocalName}", $"--regid={alice.LocalName}", "--init-groups", "--",
                "sbatch", "--parsable", "-J", "by hand", "-p", "debug", "-A", group, "-o", $"{folder}/by-hand.out", "--wrap", "sleep 5");
            var registered = await stack.OutsideJobAsync(alice, byHand.Stdout.Trim().Split(';')[0]);
            Assert.Equal(project, registered["owner"]!["project"]!.ToString());

            // Streaming search, which names only a path, finds it for a member: the server looks the project's drive up.
            var found = await stack.SearchAsync(bob, root, "made-by");
            Assert.True(found["status"]!.GetValue<int>() == 200, found.ToJsonString());
            Assert.Equal([$"{root}/ucloud-jobs/{id}/made-by-job"], found["files"]!.AsArray().Select(f => f!.ToString()));

            // Taken out of the group, bob loses the drive as soon as his instance is restarted without it.
            await Shell.Ok("gpasswd", "-d", bob.LocalName, group);
            await Stack.WaitFor("bob's instance to drop the project's group", async () =>
                (await stack.BrowseAsync(bob, root, hold: true)).Status == 403, TimeSpan.FromSeconds(30));
            found = await stack.SearchAsync(bob, root, "made-by");
            Assert.NotEqual(200, found["status"]!.GetValue<int>());
            Assert.Contains($"not in the group {group}", found["why"]!.ToString());
        }
        finally
        {
            await Shell.Run("sacctmgr", "-i", "remove", "user", alice.LocalName, $"account={group}");
            await Shell.Run("sacctmgr", "-i", "delete", "account", group);
        }
    }

    [Fact]
    public async Task A_project_that_is_not_mapped_or_a_shared_group_is_refused_in_words_and_nothing_runs()
    {
        var alice = await stack.CreateUserAsync();
        var unknown = Guid.NewGuid().ToString();
        var started = await stack.StartJobAsync(alice, "touch /tmp/should-not-exist-" + unknown, project: unknown);
        Assert.Equal(404, started["status"]!.GetValue<int>());
        Assert.Contains($"The project '{unknown}' is not set up at this provider", started["body"]!["why"]!.GetValue<string>());
        Assert.False(Directory.Exists($"/home/{alice.LocalName}/ucloud-jobs/{started["jobId"]}"));

        // Groups that would hand the project's files to others are refused, and a group is one project's only.
        var everyone = await stack.Cli("projects", "add", "--ucloud-id", unknown, "--local-group", "ucloud-users");
        Assert.NotEqual(0, everyone.ExitCode);
        Assert.Contains("every user of this provider is in it", everyone.Stdout + everyone.Stderr);
        var system = await stack.Cli("projects", "add", "--ucloud-id", unknown, "--local-group", "adm");
        Assert.Contains("is a system group", system.Stdout + system.Stderr);
        var missing = await stack.Cli("projects", "add", "--ucloud-id", unknown, "--local-group", "no-such-group-here");
        Assert.Contains("no local group called 'no-such-group-here'", missing.Stdout + missing.Stderr);
        var group = await stack.CreateGroupAsync();
        await stack.Cli("projects", "add", "--ucloud-id", unknown, "--local-group", group).ThrowIfFailed();
        var twice = await stack.Cli("projects", "add", "--ucloud-id", Guid.NewGuid().ToString(), "--local-group", group);
        Assert.Contains($"is already the group of project '{unknown}'", twice.Stdout + twice.Stderr);
        var ls = await stack.Cli("projects", "ls");
        Assert.Contains(group, ls.Stdout);
        await stack.Cli("projects", "rm", "--ucloud-id", unknown).ThrowIfFailed();
        Assert.DoesNotContain(group, (await stack.Cli("projects", "ls")).Stdout);
    }

    [Fact]
    public async Task A_link_one_member_leaves_at_a_copys_temporary_name_does_not_make_another_write_through_it()
    {
        // Every member may make any name in the project's folder. bob leaves a link to alice's own file where
        // alice's copy writes its data before renaming it; the copy used to follow it, as alice, and overwrite
        // her file with the data (and leave the link under the copy's name).
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        var group = await stack.CreateGroupAsync();
        await Shell.Ok("usermod", "-aG", group, alice.LocalName);
        await Shell.Ok("usermod", "-aG", group, bob.LocalName);
        var folder = await ProjectFolderAsync(group);
        var project = Guid.NewGuid().ToString();
        await stack.Cli("projects", "add", "--ucloud-id", project, "--local-group", group).ThrowIfFailed();
        var root = "/" + (await ProjectDriveAsync(project))["id"]!.GetValue<string>();
        var notes = $"/home/{alice.LocalName}/notes.txt";
        await Shell.Ok("runuser", "-u", alice.LocalName, "--", "sh", "-c", $"echo precious > {notes} && echo 'a,b' > {folder}/data.csv");
        await Shell.Ok("runuser", "-u", bob.LocalName, "--", "ln", "-s", notes, $"{folder}/.data-copy.csv.copy-part");

        var copied = await stack.ActAsync(alice, "files/copy", new JsonObject { ["from"] = $"{root}/data.csv", ["to"] = $"{root}/data-copy.csv", ["conflictPolicy"] = "REJECT" });
        Assert.True(copied.Status == 200, copied.Why);
        Assert.Equal("complete", copied.Body!["responses"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("precious\n", await File.ReadAllTextAsync(notes, TestContext.Current.CancellationToken));
        var copy = UcloudIm.Unix.FileStat.Of($"{folder}/data-copy.csv")!.Value;
        Assert.Equal((UcloudIm.Unix.FileKind.Regular, alice.Uid), (copy.Kind, copy.Uid));
        Assert.Equal("a,b\n", await File.ReadAllTextAsync($"{folder}/data-copy.csv", TestContext.Current.CancellationToken));
        Assert.False(Path.Exists($"{folder}/.data-copy.csv.copy-part"));
    }

    private async Task<string> ProjectFolderAsync(string group)
    {
        Directory.CreateDirectory(stack.ProjectsDir);
        var folder = Path.Combine(stack.ProjectsDir, group);
        await Shell.Ok("mkdir", "-m", "2770", folder);
        await Shell.Ok("chgrp", group, folder);
        return folder;
    }

    private async Task<JsonNode> ProjectDriveAsync(string project)
    {
        JsonNode? drive = null;
        await Stack.WaitFor("the project's drive to reach Core", async () =>
        {
            var drives = JsonNode.Parse(await stack.Sandbox.GetStringAsync($"/sandbox/users/x/drives?project={project}"))!.AsArray();
            drive = drives.FirstOrDefault();
            return drive is not null;
        });
        return drive!;
    }
}
