using System.Text.Json.Nodes;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>Folder, move, trash and large listings, end to end, as the user.</summary>
[Collection(StackCollection.Name)]
public sealed class FileOperationsFlowTests(Stack stack)
{
    [Fact]
    public async Task A_100k_entry_folder_pages_completely_and_in_order()
    {
        var user = await stack.CreateUserAsync();
        const int count = 100_000;
        await Shell.As(user.LocalName, "sh", "-c", $"mkdir /home/{user.LocalName}/big && cd /home/{user.LocalName}/big && seq -f 'e%06g' 1 {count} | xargs touch").ThrowIfFailed();
        var names = new List<string>(count);
        string? next = null;
        var pages = 0;
        do
        {
            var page = await stack.ActAsync(user, "files/browse", new JsonObject { ["path"] = $"/{user.Drive}/big", ["itemsPerPage"] = 1000, ["next"] = next });
            Assert.Equal(200, page.Status);
            names.AddRange(page.Names);
            next = page.Body!["next"]?.GetValue<string>();
            pages++;
        } while (next is not null);
        Assert.Equal(100, pages);
        Assert.Equal(count, names.Count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"e{i:D6}"), names);
    }

    [Fact]
    public async Task Folders_are_made_as_the_user_and_conflicts_follow_the_policy()
    {
        var user = await stack.CreateUserAsync();
        var path = $"/{user.Drive}/results";
        Assert.Equal(200, (await stack.ActAsync(user, "files/folder", new JsonObject { ["path"] = path })).Status);
        var again = await stack.ActAsync(user, "files/folder", new JsonObject { ["path"] = path, ["conflictPolicy"] = "REJECT" });
        Assert.Equal(409, again.Status);
        Assert.Contains("already exists", again.Why);
        Assert.Equal(200, (await stack.ActAsync(user, "files/folder", new JsonObject { ["path"] = path, ["conflictPolicy"] = "RENAME" })).Status);
        var listing = await stack.BrowseAsync(user, hold: true);
        Assert.Contains("results", listing.Names);
        Assert.Contains("results(1)", listing.Names);
        var made = listing.Body!["items"]!.AsArray().First(f => f!["id"]!.GetValue<string>() == path)!["status"]!;
        Assert.Equal(user.Uid, made["unixOwner"]!.GetValue<uint>());
        Assert.Equal(0b111_111_000, made["unixMode"]!.GetValue<int>()); // 0770: the instance's umask is 0007
    }

    [Fact]
    public async Task Move_and_trash_work_and_report_conflicts()
    {
        var user = await stack.CreateUserAsync();
        await Shell.As(user.LocalName, "sh", "-c", $"echo a > /home/{user.LocalName}/a.txt && echo b > /home/{user.LocalName}/b.txt").ThrowIfFailed();
        var d = "/" + user.Drive;
        var clash = await stack.ActAsync(user, "files/move", new JsonObject { ["from"] = $"{d}/a.txt", ["to"] = $"{d}/b.txt" });
        Assert.Equal(409, clash.Status);
        Assert.Equal(200, (await stack.ActAsync(user, "files/move", new JsonObject { ["from"] = $"{d}/a.txt", ["to"] = $"{d}/b.txt", ["conflictPolicy"] = "RENAME" })).Status);
        Assert.Equal("a\n", File.ReadAllText($"/home/{user.LocalName}/b(1).txt"));
        Assert.Equal(200, (await stack.ActAsync(user, "files/trash", new JsonObject { ["path"] = $"{d}/b.txt" })).Status);
        var trash = await stack.BrowseAsync(user, $"{d}/Trash", hold: true);
        Assert.Equal(["b.txt"], trash.Names);
        Assert.False(File.Exists($"/home/{user.LocalName}/b.txt"));
        var missing = await stack.ActAsync(user, "files/trash", new JsonObject { ["path"] = $"{d}/b.txt" });
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Bob_cannot_make_folders_or_move_files_in_alices_private_folder()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        await Shell.Ok("chmod", "0700", $"/home/{alice.LocalName}");
        await Shell.As(alice.LocalName, "sh", "-c", $"echo mine > /home/{alice.LocalName}/keep.txt").ThrowIfFailed();
        var a = "/" + alice.Drive;
        var folder = await stack.ActAsync(bob, "files/folder", new JsonObject { ["path"] = $"{a}/intruder" });
        Assert.Equal(403, folder.Status);
        // The refusal says which folder is closed, whose it is, and why.
        Assert.StartsWith($"Permission denied: {a}/intruder: you may not open the folder {a}, which belongs to {alice.LocalName} and the group ", folder.Why);
        Assert.EndsWith($" (rwx------); it is open to {alice.LocalName} only", folder.Why);
        var move = await stack.ActAsync(bob, "files/move", new JsonObject { ["from"] = $"{a}/keep.txt", ["to"] = $"/{bob.Drive}/stolen.txt" });
        Assert.Equal(403, move.Status);
        Assert.StartsWith($"Permission denied: {a}/keep.txt: you may not open the folder {a}, which belongs to {alice.LocalName}", move.Why);
        // Bob's own file into alice's folder: the refusal names where it was to go.
        await Shell.As(bob.LocalName, "sh", "-c", $"echo gift > /home/{bob.LocalName}/gift.txt").ThrowIfFailed();
        var gift = await stack.ActAsync(bob, "files/move", new JsonObject { ["from"] = $"/{bob.Drive}/gift.txt", ["to"] = $"{a}/gift.txt" });
        Assert.Equal(403, gift.Status);
        Assert.StartsWith($"Permission denied: {a}/gift.txt: you may not open the folder {a}, which belongs to {alice.LocalName}", gift.Why);
        var trash = await stack.ActAsync(bob, "files/trash", new JsonObject { ["path"] = $"{a}/keep.txt" });
        Assert.Equal(403, trash.Status);
        Assert.Contains($"you may not open the folder {a}, which belongs to {alice.LocalName}", trash.Why);
        Assert.Equal("mine\n", File.ReadAllText($"/home/{alice.LocalName}/keep.txt"));
        Assert.False(Directory.Exists($"/home/{alice.LocalName}/intruder"));

        // alice's own read-only folder: the refusal says it is hers and its mode is what stops her.
        await Shell.As(alice.LocalName, "sh", "-c", $"mkdir /home/{alice.LocalName}/frozen && chmod 555 /home/{alice.LocalName}/frozen").ThrowIfFailed();
        var own = await stack.ActAsync(alice, "files/folder", new JsonObject { ["path"] = $"{a}/frozen/new" });
        Assert.Equal(403, own.Status);
        Assert.StartsWith($"Permission denied: {a}/frozen/new: you may not write in the folder {a}/frozen, which belongs to {alice.LocalName} and the group ", own.Why);
        Assert.EndsWith(" (r-xr-xr-x); it is yours, but its mode does not let its owner do that", own.Why);
    }

    [Fact]
    public async Task An_unknown_conflict_policy_is_a_clear_400()
    {
        var user = await stack.CreateUserAsync();
        var r = await stack.ActAsync(user, "files/folder", new JsonObject { ["path"] = $"/{user.Drive}/x", ["conflictPolicy"] = "CLOBBER" });
        Assert.Equal(400, r.Status);
        Assert.Contains("Unknown conflict policy", r.Why);
    }
}
