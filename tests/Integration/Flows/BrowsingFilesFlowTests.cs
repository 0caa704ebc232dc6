using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>The "Browsing Files" flow: sandbox Core → gateway → (449 → init → spawn) → user instance → listing.</summary>
[Collection(StackCollection.Name)]
public sealed class BrowsingFilesFlowTests(Stack stack)
{
    private const int ProviderCallerMaxInits = 5;

    [Fact]
    public async Task First_request_gets_449_then_init_spawns_the_instance_and_the_retry_lists_the_folder()
    {
        var user = await stack.CreateUserAsync();
        Assert.Null(await stack.InstanceOf(user));
        await stack.ProviderAnswersAsync();

        var answer = await stack.BrowseAsync(user);

        Assert.Equal(200, answer.Status);
        Assert.Equal((2, 1), (answer.Attempts, answer.Inits));
        Assert.Contains(".bashrc", answer.Names);
        var calls = (await stack.SandboxCallsAsync())
            .Where(c => c!["direction"]!.GetValue<string>() == "core->provider" && c["username"]?.GetValue<string>() == user.UcloudName)
            .ToList();
        Assert.True(calls.Select(c => $"{c!["path"]!.GetValue<string>().Split('/', 4)[3]} {c["status"]}").SequenceEqual(["files/browse 449", "integration/init 200", "files/browse 200"]),
            string.Join("; ", calls.Select(c => $"{c!["path"]} {c["status"]} {c["body"]}")));
        Assert.Equal(user.Uid, (await stack.InstanceOf(user))!.Uid);
    }

    [Fact]
    public async Task With_hold_until_ready_the_first_request_costs_one_round_trip()
    {
        var user = await stack.CreateUserAsync();
        await stack.ProviderAnswersAsync(hold: true);
        var answer = await stack.BrowseAsync(user, hold: true);
        Assert.Equal((200, 1, 0), (answer.Status, answer.Attempts, answer.Inits));
        Assert.Contains(".bashrc", answer.Names);
    }

    [Fact]
    public async Task A_file_only_alice_may_read_is_listed_for_alice_and_refused_for_bob()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        var priv = $"/home/{alice.LocalName}/private";
        await Shell.Ok("install", "-d", "-o", alice.LocalName, "-g", alice.LocalName, "-m", "0700", priv);
        await Shell.As(alice.LocalName, "sh", "-c", $"echo secret > {priv}/notes.txt && chmod 600 {priv}/notes.txt").ThrowIfFailed();

        var forAlice = await stack.BrowseAsync(alice, $"/{alice.Drive}/private", hold: true);
        Assert.Equal(200, forAlice.Status);
        var notes = Assert.Single(forAlice.Body!["items"]!.AsArray());
        Assert.Equal($"/{alice.Drive}/private/notes.txt", notes!["id"]!.GetValue<string>());
        Assert.Equal(alice.Uid, notes["status"]!["unixOwner"]!.GetValue<uint>());
        Assert.Equal(0b110_000_000, notes["status"]!["unixMode"]!.GetValue<int>());

        // Bob names alice's drive (the sandbox does not check Core's permissions); his instance runs as bob.
        var forBob = await stack.BrowseAsync(bob, $"/{alice.Drive}/private", hold: true);
        Assert.Equal(403, forBob.Status);
        Assert.Contains("Permission denied", forBob.Why);
        Assert.Equal(bob.Uid, (await stack.InstanceOf(bob))!.Uid);
    }

    [Fact]
    public async Task Retrieve_stats_one_file_and_a_missing_one_is_404()
    {
        var user = await stack.CreateUserAsync();
        var found = await stack.BrowseAsync(user, $"/{user.Drive}/.bashrc", hold: true, operation: "files/retrieve");
        Assert.Equal(200, found.Status);
        Assert.Equal("FILE", found.Body!["status"]!["type"]!.GetValue<string>());
        var missing = await stack.BrowseAsync(user, $"/{user.Drive}/nope", hold: true, operation: "files/retrieve");
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Paths_that_climb_out_of_the_drive_are_refused_with_a_clear_error()
    {
        var user = await stack.CreateUserAsync();
        var answer = await stack.BrowseAsync(user, $"/{user.Drive}/../../etc", hold: true);
        Assert.Equal(400, answer.Status);
        Assert.Contains("'..'", answer.Why);
    }

    [Fact]
    public async Task An_unmapped_user_gets_a_clear_error_and_no_instance()
    {
        var user = await stack.CreateUserAsync(map: false);
        var held = await stack.BrowseAsync(user, hold: true);
        Assert.Equal(400, held.Status);
        Assert.Contains("is not connected to this provider", held.Why);
        // Without holding: 449, then init answers the same refusal, and Core's retries end.
        var direct = await stack.BrowseAsync(user);
        Assert.Equal(449, direct.Status);
        Assert.Equal(ProviderCallerMaxInits, direct.Inits);
        Assert.Null(await stack.InstanceOf(user));
    }

    [Fact]
    public async Task A_username_whose_base64_holds_plus_and_slash_reaches_its_own_instance()
    {
        var user = await stack.CreateUserAsync(ucloudName: "Erin?¿ø>#" + Guid.NewGuid().ToString("N")[..4]);
        var answer = await stack.BrowseAsync(user, hold: true);
        Assert.Equal(200, answer.Status);
        Assert.Equal(user.Uid, (await stack.InstanceOf(user))!.Uid);
    }
}
