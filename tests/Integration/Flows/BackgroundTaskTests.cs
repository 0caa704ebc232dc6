using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>Long copies and emptying the trash run as tasks that Core shows, and that survive restarts.</summary>
[Collection(StackCollection.Name)]
public sealed class BackgroundTaskTests(Stack stack)
{
    private static async Task MakeTree(TestUser user, string rel, int files, int size)
    {
        var root = $"/home/{user.LocalName}/{rel}";
        var block = RandomNumberGenerator.GetBytes(size);
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Combine(root, $"d{i % 7}");
            Directory.CreateDirectory(dir);
            block[0] = (byte)i;
            block[^1] = (byte)(i >> 8);
            await File.WriteAllBytesAsync(Path.Combine(dir, $"f{i}.bin"), block);
        }
        await Shell.Ok("chown", "-R", $"{user.LocalName}:{user.LocalName}", root);
    }

    private async Task<JsonArray> TasksOf(TestUser user) =>
        // The server reports to the first sandbox (its Core); the task board lives there.
        JsonNode.Parse(await stack.Sandbox.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/tasks"))!.AsArray();

    private async Task<JsonNode> FinishedTask(TestUser user, string taskId, TimeSpan? timeout = null)
    {
        JsonNode? task = null;
        await Stack.WaitFor($"task {taskId} to finish", async () =>
        {
            task = (await TasksOf(user)).FirstOrDefault(t => t!["taskId"]!.ToString() == taskId);
            return task?["state"]?.ToString() is "SUCCESS" or "FAILURE" or "CANCELLED";
        }, timeout ?? TimeSpan.FromSeconds(60));
        return task!;
    }

    private static void AssertSameTree(string a, string b)
    {
        var left = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToList();
        var right = Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order().ToList();
        Assert.Equal(left, right);
        foreach (var f in left) Assert.True(File.ReadAllBytes(Path.Combine(a, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, f))), f);
    }

    // Very many tiny files: a local copy is fast (copy_file_range), and the point is to interrupt it; per-file
    // work makes this one last about a second.
    private const int Many = 20_000;

    private async Task<string> StartCopy(TestUser user, string from, string to)
    {
        var answer = await stack.ActAsync(user, "files/copy", new JsonObject { ["from"] = $"/{user.Drive}/{from}", ["to"] = $"/{user.Drive}/{to}", ["conflictPolicy"] = "RENAME" });
        Assert.True(answer.Status == 200, answer.Why);
        var result = answer.Body!["responses"]![0]!;
        Assert.Equal("continues_in_background", result["type"]!.GetValue<string>());
        return result["taskId"]!.ToString();
    }

    [Fact]
    public async Task A_folder_copy_runs_as_a_task_core_sees_through_to_success_and_a_small_file_is_copied_at_once()
    {
        var user = await stack.CreateUserAsync();
        await MakeTree(user, "src", 20, 10_000);
        var id = await StartCopy(user, "src", "dst");
        var task = await FinishedTask(user, id);
        Assert.Equal("SUCCESS", task["state"]!.GetValue<string>());
        Assert.Contains("Copied 20 file(s)", task["progress"]!.GetValue<string>());
        AssertSameTree($"/home/{user.LocalName}/src", $"/home/{user.LocalName}/dst");
        Assert.Equal(user.Uid, UcloudIm.Unix.FileStat.Of($"/home/{user.LocalName}/dst/d0/f0.bin")!.Value.Uid);

        var small = await stack.ActAsync(user, "files/copy", new JsonObject { ["from"] = $"/{user.Drive}/src/d0/f0.bin", ["to"] = $"/{user.Drive}/src/d0/f0.bin", ["conflictPolicy"] = "RENAME" });
        Assert.Equal("complete", small.Body!["responses"]![0]!["type"]!.GetValue<string>());
        Assert.True(File.Exists($"/home/{user.LocalName}/src/d0/f0(1).bin"));
        var into = await stack.ActAsync(user, "files/copy", new JsonObject { ["from"] = $"/{user.Drive}/src", ["to"] = $"/{user.Drive}/src/inside", ["conflictPolicy"] = "RENAME" });
        Assert.Equal(400, into.Status);
    }

    [Fact]
    public async Task A_copy_interrupted_by_killing_the_instance_resumes_and_finishes_identical()
    {
        var user = await stack.CreateUserAsync();
        await MakeTree(user, "big", Many, 1024);
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var sudoPid = (await stack.InstanceOf(user))!.SudoPid;
        var child = InstanceLifecycleTests.ChildOf(sudoPid);
        var id = await StartCopy(user, "big", "big-copy");
        var target = $"/home/{user.LocalName}/big-copy";
        // Kill it the moment Core has its answer (kill(2) directly; no SIGSTOP first: sudo would stop with its
        // child and never report the death).
        Assert.True(UcloudIm.Unix.ProcessIdentity.Signal(child, 9));
        var copied = Directory.Exists(target) ? Directory.GetFiles(target, "*.bin", SearchOption.AllDirectories).Length : 0;
        Assert.True(copied < Many, "the copy ended before the kill: the test proves nothing");

        var task = await FinishedTask(user, id);
        Assert.Equal("SUCCESS", task["state"]!.GetValue<string>());
        AssertSameTree($"/home/{user.LocalName}/big", target);
        Assert.Empty(Directory.GetFiles(target, "*.copy-part", SearchOption.AllDirectories));
        Assert.NotEqual(sudoPid, (await stack.InstanceOf(user))!.SudoPid);
    }

    [Fact]
    public async Task A_copy_whose_end_the_server_never_heard_of_is_finished_after_the_server_crashes()
    {
        var user = await stack.CreateUserAsync();
        await MakeTree(user, "src", Many, 1024);
        var id = await StartCopy(user, "src", "src-copy");
        // Freeze the server at once: whatever the copy does, its end cannot be recorded. Then crash the server,
        // which takes the instance with it. The task is still RUNNING in the database; started again, the server
        // brings the instance back, which runs the copy again (skipping what is there) and reports the end.
        var server = stack.ServerPid;
        Assert.True(UcloudIm.Unix.ProcessIdentity.Signal(server, 19)); // SIGSTOP
        await stack.RestartServerAsync(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.NotEqual("SUCCESS", (await TasksOf(user)).Single(t => t!["taskId"]!.ToString() == id)!["state"]!.ToString());
        }, kill: true);
        var task = await FinishedTask(user, id);
        Assert.Equal("SUCCESS", task["state"]!.GetValue<string>());
        AssertSameTree($"/home/{user.LocalName}/src", $"/home/{user.LocalName}/src-copy");
    }

    [Fact]
    public async Task Emptying_the_trash_removes_all_it_may_and_names_what_it_could_not()
    {
        var user = await stack.CreateUserAsync();
        var trash = $"/home/{user.LocalName}/Trash";
        // The user's own folder that the user has closed to themselves (mode 0), among things that can go.
        await Shell.Ok("runuser", "-u", user.LocalName, "--", "sh", "-c",
            $"mkdir -p {trash}/old/closed {trash}/old/open && echo x > {trash}/old/closed/f && echo y > {trash}/old/open/g"
            + $" && echo z > {trash}/old/z.txt && echo w > {trash}/w.txt && chmod 0 {trash}/old/closed");
        var answer = await stack.ActAsync(user, "files/emptyTrash", new JsonObject { ["path"] = $"/{user.Drive}/Trash" });
        Assert.True(answer.Status == 200, answer.Why);
        var task = await FinishedTask(user, answer.Body!["responses"]![0]!["taskId"]!.ToString());
        Assert.Equal("FAILURE", task["state"]!.GetValue<string>());
        Assert.Equal("Permission denied: 1 item(s) could not be removed (permission denied or in use): old", task["progress"]!.GetValue<string>());
        // Everything else went, inside "old" too; only the closed folder stayed, with its file.
        Assert.Equal(["old"], Directory.GetFileSystemEntries(trash).Select(Path.GetFileName));
        Assert.Equal(["closed"], Directory.GetFileSystemEntries($"{trash}/old").Select(Path.GetFileName));
        Assert.True(File.Exists($"{trash}/old/closed/f"));
    }

    [Fact]
    public async Task Emptying_the_trash_removes_everything_in_it_and_only_a_trash_folder_can_be_emptied()
    {
        var user = await stack.CreateUserAsync();
        await MakeTree(user, "junk", 10, 100);
        await File.WriteAllTextAsync($"/home/{user.LocalName}/keep.txt", "keep");
        Assert.Equal(200, (await stack.ActAsync(user, "files/trash", new JsonObject { ["path"] = $"/{user.Drive}/junk" })).Status);
        var answer = await stack.ActAsync(user, "files/emptyTrash", new JsonObject { ["path"] = $"/{user.Drive}/Trash" });
        Assert.True(answer.Status == 200, answer.Why);
        var task = await FinishedTask(user, answer.Body!["responses"]![0]!["taskId"]!.ToString());
        Assert.Equal("SUCCESS", task["state"]!.GetValue<string>());
        Assert.Empty(Directory.GetFileSystemEntries($"/home/{user.LocalName}/Trash"));
        Assert.True(File.Exists($"/home/{user.LocalName}/keep.txt"));

        var home = await stack.ActAsync(user, "files/emptyTrash", new JsonObject { ["path"] = $"/{user.Drive}" });
        Assert.Equal(400, home.Status);
        Assert.True(File.Exists($"/home/{user.LocalName}/keep.txt"));
    }
}
