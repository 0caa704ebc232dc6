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

    // Many small files: a local copy is fast, and the point is to interrupt it.
    private const int Many = 2000;

    /// <summary>A tight poll for the copy's first folder (cheap to check, unlike counting files).</summary>
    private static async Task PartlyCopied(string target)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!Directory.Exists(Path.Combine(target, "d0")))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("the copy did not start");
            await Task.Delay(1);
        }
    }

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
        await MakeTree(user, "big", Many, 256 << 10);
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var sudoPid = (await stack.InstanceOf(user))!.SudoPid;
        var child = InstanceLifecycleTests.ChildOf(sudoPid);
        var id = await StartCopy(user, "big", "big-copy");
        var target = $"/home/{user.LocalName}/big-copy";
        await PartlyCopied(target);
        // kill(2) directly: starting a kill process could take longer than what is left of the copy.
        Assert.True(UcloudIm.Unix.ProcessIdentity.Signal(child, 9));
        Assert.True(Directory.GetFiles(target, "*.bin", SearchOption.AllDirectories).Length < Many, "the copy ended before the kill: the test proves nothing");

        var task = await FinishedTask(user, id);
        Assert.Equal("SUCCESS", task["state"]!.GetValue<string>());
        AssertSameTree($"/home/{user.LocalName}/big", target);
        Assert.Empty(Directory.GetFiles(target, "*.copy-part", SearchOption.AllDirectories));
        Assert.NotEqual(sudoPid, (await stack.InstanceOf(user))!.SudoPid);
    }

    [Fact]
    public async Task A_copy_survives_a_server_restart()
    {
        var user = await stack.CreateUserAsync();
        await MakeTree(user, "big", Many, 256 << 10);
        var id = await StartCopy(user, "big", "big-copy");
        var target = $"/home/{user.LocalName}/big-copy";
        await PartlyCopied(target);
        // Stopping the server stops every instance mid-copy; started again, it brings the instance back to finish.
        await stack.RestartServerAsync(() =>
        {
            Assert.True(Directory.GetFiles(target, "*.bin", SearchOption.AllDirectories).Length < Many, "the copy ended before the stop: the test proves nothing");
            return Task.CompletedTask;
        });
        var task = await FinishedTask(user, id);
        Assert.Equal("SUCCESS", task["state"]!.GetValue<string>());
        AssertSameTree($"/home/{user.LocalName}/big", target);
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
