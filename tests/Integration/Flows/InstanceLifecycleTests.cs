using System.Net.WebSockets;
using System.Text.Json.Nodes;
using UcloudIm.Files.Upload;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>The server keeps instances alive while used, and only then: reaping, crash restarts, group changes.</summary>
[Collection(StackCollection.Name)]
public sealed class InstanceLifecycleTests(Stack stack)
{
    [Fact]
    public async Task An_idle_instance_is_reaped_and_comes_back_on_the_next_request()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var first = (await stack.InstanceOf(user))!;

        // Activity keeps it: requests spaced below the idle timeout.
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(Stack.IdleTimeout / 2);
            Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        }
        Assert.Equal(first.SudoPid, (await stack.InstanceOf(user))!.SudoPid);

        await Stack.WaitFor("the idle instance to be reaped", async () => await stack.InstanceOf(user) is null, Stack.IdleTimeout * 4);
        Assert.False(Directory.Exists($"/proc/{first.SudoPid}"));

        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        Assert.NotEqual(first.SudoPid, (await stack.InstanceOf(user))!.SudoPid);
    }

    [Fact]
    public async Task An_admin_listing_users_is_not_activity()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var deadline = DateTime.UtcNow + Stack.IdleTimeout * 4;
        while (await stack.InstanceOf(user) is not null && DateTime.UtcNow < deadline)
        {
            Assert.Contains(user.LocalName, (await stack.Cli("users", "ls")).Stdout);
            await Task.Delay(500);
        }
        Assert.Null(await stack.InstanceOf(user));
    }

    [Fact]
    public async Task An_upload_socket_open_longer_than_the_idle_timeout_keeps_its_instance()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = await stack.CreateUserAsync();
        var answer = await stack.ActAsync(user, "files/upload", new JsonObject { ["path"] = $"/{user.Drive}", ["type"] = "FOLDER", ["conflictPolicy"] = "MERGE_RENAME" });
        Assert.True(answer.Status == 200, answer.Why);
        var endpoint = new Uri(answer.Body!["responses"]![0]!["endpoint"]!.GetValue<string>());
        var before = (await stack.InstanceOf(user))!;

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(endpoint, stack.Invoker, ct);
        await socket.SendAsync(UploadProtocol.Listing([new ListingEntry(1, 5, 0, "quiet.txt")]), WebSocketMessageType.Binary, true, ct);
        var buffer = new byte[4096];
        var r = await socket.ReceiveAsync(buffer, ct);
        Assert.Contains((UploadOp.Ok, 1), UploadProtocol.ParseReplies(buffer.AsSpan(0, r.Count)));

        // Not one request for three idle timeouts, only the open socket: the gateway reports it as activity.
        await Task.Delay(Stack.IdleTimeout * 3, ct);
        Assert.Equal(before.SudoPid, (await stack.InstanceOf(user))?.SudoPid);

        var chunk = new byte[5 + 5];
        UploadProtocol.WriteChunkHeader(chunk, 1);
        "hello"u8.CopyTo(chunk.AsSpan(5));
        await socket.SendAsync(chunk, WebSocketMessageType.Binary, true, ct);
        await socket.SendAsync(new[] { (byte)UploadOp.Close }, WebSocketMessageType.Binary, true, ct);
        do r = await socket.ReceiveAsync(buffer, ct); while (r.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal("hello", await File.ReadAllTextAsync($"/home/{user.LocalName}/quiet.txt", ct));
    }

    [Fact]
    public async Task A_killed_instance_is_restarted()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var before = (await stack.InstanceOf(user))!;
        var child = ChildOf(before.SudoPid);
        Assert.Equal(user.Uid, OwnerOf(child));

        await Shell.Ok("kill", "-9", child.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await Stack.WaitFor("the instance to be restarted", async () =>
            await stack.InstanceOf(user) is { } now && now.SudoPid != before.SudoPid && now.Restarts == 1);
        Assert.Equal(200, (await stack.BrowseAsync(user)).Status);
    }

    [Fact]
    public async Task Changing_a_users_groups_restarts_the_instance_with_the_new_groups()
    {
        var user = await stack.CreateUserAsync();
        var group = await stack.CreateGroupAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var before = (await stack.InstanceOf(user))!;

        await Shell.Ok("usermod", "-aG", group, user.LocalName);

        await Stack.WaitFor("the instance to restart", async () => await stack.InstanceOf(user) is { } now && now.SudoPid != before.SudoPid);
        var after = (await stack.InstanceOf(user))!;
        var gid = UcloudIm.Unix.UserDatabase.FindGroupId(group)!.Value;
        Assert.Contains(gid, GroupsOf(ChildOf(after.SudoPid)));
    }

    [Fact]
    public async Task An_admin_can_stop_an_instance_and_the_next_request_starts_a_fresh_one()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var before = (await stack.InstanceOf(user))!;
        var r = await stack.Cli("instances", "stop", "--ucloud-name", user.UcloudName);
        Assert.True(r.Succeeded, r.Stdout + r.Stderr);
        Assert.Null(await stack.InstanceOf(user));
        Assert.False(Directory.Exists($"/proc/{before.SudoPid}"));
        var again = await stack.Cli("instances", "stop", "--ucloud-name", user.UcloudName);
        Assert.False(again.Succeeded);
        Assert.Contains("no user instance is running", again.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        Assert.NotEqual(before.SudoPid, (await stack.InstanceOf(user))!.SudoPid);
    }

    /// <summary>The user instance is sudo's only child.</summary>
    internal static int ChildOf(int sudoPid)
    {
        var children = File.ReadAllText($"/proc/{sudoPid}/task/{sudoPid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(Assert.Single(children), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static uint OwnerOf(int pid) =>
        uint.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2],
            System.Globalization.CultureInfo.InvariantCulture);

    private static uint[] GroupsOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Groups:", StringComparison.Ordinal))["Groups:".Length..]
            .Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries).Select(g => uint.Parse(g, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
