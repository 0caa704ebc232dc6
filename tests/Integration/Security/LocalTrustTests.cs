using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Security;

/// <summary>On the node itself: who may talk to an instance or the server, and whom sudo may become.</summary>
[Collection(StackCollection.Name)]
public sealed class LocalTrustTests(Stack stack)
{
    private async Task<string> SocketOf(TestUser user)
    {
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var dir = Path.Combine(stack.IpcDir, "instances");
        return Assert.Single(Directory.GetFiles(dir, $"{user.Uid}-*.sock"), f => !f.EndsWith(".open.sock", StringComparison.Ordinal));
    }

    /// <summary>One request line on an instance's open-file socket; what came back, or NOTHING. (Debian's python3, which every user may run.)</summary>
    private static async Task<string> AskOpenFile(string? asUser, string socket, string line)
    {
        const string script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            data = b''
            try:
                s.connect(sys.argv[1])
                s.sendall(sys.argv[2].encode() + b'\n')
                while True:
                    d = s.recv(4096)
                    if not d: break
                    data += d
            except OSError:
                pass
            print(data.decode() or 'NOTHING')
            """;
        string[] args = ["-c", script, socket, line];
        var r = asUser is null ? await Shell.Run("/usr/bin/python3", args) : await Shell.As(asUser, "/usr/bin/python3", args);
        return r.Stdout.Trim();
    }

    private static Task<Hosting.CommandResult> Curl(string? asUser, string socket, string path, params string[] extra)
    {
        string[] args = ["-sS", "-o", "/dev/stdout", "-w", "\nHTTP %{http_code}", "--max-time", "5", "--unix-socket", socket, .. extra, "http://localhost" + path];
        return asUser is null ? Shell.Run("curl", args) : Shell.As(asUser, "curl", args);
    }

    [Fact]
    public async Task The_user_instance_refuses_connections_from_any_uid_but_the_gateways()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        var socket = await SocketOf(alice);
        var path = $"/ucloud/{Stack.ProviderId}/files/browse";

        foreach (var who in new string?[] { null, bob.LocalName, alice.LocalName, "ucloud" })
        {
            var r = await Curl(who, socket, path, "-X", "POST");
            Assert.True(!r.Succeeded && !r.Stdout.Contains("HTTP 2", StringComparison.Ordinal) && !r.Stdout.Contains("HTTP 4", StringComparison.Ordinal),
                $"{who ?? "root"} got an answer: {r.Stdout} {r.Stderr}");
        }
        // The gateway's uid gets through the peer check, and without the secret still gets nothing.
        var gw = await Curl("ucloud-gw", socket, path, "-X", "POST");
        Assert.Contains("HTTP 401", gw.Stdout);
    }

    [Fact]
    public async Task The_open_file_socket_hands_nothing_to_any_uid_but_the_gateways_and_nothing_without_the_secret()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        await Stack.WriteFileAsync(alice, "private.txt", "alice's"u8.ToArray());
        var link = await stack.DownloadLinkAsync(alice, $"/{alice.Drive}/private.txt");
        var token = System.Web.HttpUtility.ParseQueryString(new Uri(link).Query)["token"]!;
        var socket = Contracts.InstanceRoute.OpenFileSocketOf(await SocketOf(alice));
        var request = $$"""{"secret":"{{new string('x', 64)}}","token":"{{token}}"}""";

        foreach (var who in new string?[] { null, bob.LocalName, alice.LocalName, "ucloud" })
            Assert.Equal("NOTHING", await AskOpenFile(who, socket, request));
        // The gateway's uid gets through the peer check, and without the instance's secret still gets no file.
        Assert.Contains("\"status\":401", await AskOpenFile("ucloud-gw", socket, request));
        Assert.Contains("\"status\":400", await AskOpenFile("ucloud-gw", socket, "not json"));
    }

    [Fact]
    public async Task Only_the_gateway_may_ask_the_server_for_instance_routes()
    {
        var alice = await stack.CreateUserAsync();
        await SocketOf(alice);
        var server = Path.Combine(stack.IpcDir, "server.sock");
        string[] body = ["-X", "POST", "-H", "content-type: application/json", "-d", $"{{\"username\":\"{alice.UcloudName}\"}}"];
        foreach (var who in new string?[] { null, alice.LocalName, "ucloud-sandbox" })
        {
            var r = await Curl(who, server, "/internal/route", body);
            Assert.Contains("HTTP 403", r.Stdout);
            Assert.DoesNotContain("secret", r.Stdout);
        }
        var gw = await Curl("ucloud-gw", server, "/internal/route", body);
        Assert.Contains("HTTP 200", gw.Stdout);
        // And the admin commands are root's alone.
        Assert.Contains("HTTP 403", (await Curl("ucloud-gw", server, "/cli/users")).Stdout);
        Assert.Contains("HTTP 200", (await Curl(null, server, "/cli/users")).Stdout);
    }

    [Theory]
    [InlineData("root", "root never gets a user instance")]
    [InlineData("daemon", "system account")]
    [InlineData("ucloud-gw", "system account")]
    public async Task Mapping_root_or_a_system_account_is_refused(string local, string why)
    {
        var r = await stack.Cli("users", "add", "--ucloud-name", "mallory-" + local, "--local-name", local);
        Assert.False(r.Succeeded);
        Assert.Contains(why, r.Stdout + r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Unhandled exception", r.Stdout + r.Stderr);
    }

    [Fact]
    public async Task Mapping_a_user_outside_the_allowed_group_says_how_to_fix_it()
    {
        var carol = await stack.CreateUserAsync(inAllowedGroup: false, map: false);
        var r = await stack.Cli("users", "add", "--ucloud-name", carol.UcloudName, "--local-name", carol.LocalName);
        Assert.False(r.Succeeded);
        Assert.Contains($"usermod -aG ucloud-users {carol.LocalName}", r.Stdout + r.Stderr);
    }

    [Fact]
    public async Task A_mapped_user_who_left_the_group_gets_a_clear_refusal_and_no_instance()
    {
        var user = await stack.CreateUserAsync();
        await Shell.Ok("gpasswd", "-d", user.LocalName, "ucloud-users");
        var answer = await stack.BrowseAsync(user, hold: true);
        Assert.Equal(403, answer.Status);
        Assert.Contains("not in the group 'ucloud-users'", answer.Why);
        Assert.Null(await stack.InstanceOf(user));
    }

    [Fact]
    public async Task Sudo_lets_the_service_account_become_group_members_only_and_run_nothing_else()
    {
        var exe = Path.Combine(Stack.Prefix, "bin/ucloud-im-user");
        foreach (var target in new[] { "root", "#0", "daemon", "ucloud-gw" })
        {
            var r = await Shell.As("ucloud", "sudo", "-n", "-u", target, "--", exe);
            Assert.False(r.Succeeded, $"sudo -u {target} was allowed");
        }
        var member = await stack.CreateUserAsync(map: false);
        var other = await Shell.As("ucloud", "sudo", "-n", "-u", member.LocalName, "--", "/bin/sh", "-c", "id");
        Assert.False(other.Succeeded);
        Assert.Contains("password is required", other.Stderr);
    }

    [Fact]
    public async Task The_user_instance_binary_refuses_to_run_as_root()
    {
        var bootstrap = $$"""{"ucloudUsername":"x","providerId":"p","gatewayUid":1,"minimumUid":1000,"socketDirectory":"/tmp","secret":"{{new string('s', 64)}}","publicUrl":"http://x","linkKey":"{{Convert.ToBase64String(new byte[32])}}","downloadLinkLifetimeSeconds":60}""";
        var r = await new Hosting.CommandRunner().RunAsync(
            new Hosting.ExternalCommand(Path.Combine(Stack.Prefix, "bin/ucloud-im-user"), []) { StandardInput = bootstrap + "\n" }, TestContext.Current.CancellationToken);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("never runs as root", r.Stderr);
    }

    [Fact]
    public async Task Users_add_tells_core_and_doctor_finds_nothing_to_fix()
    {
        var user = await stack.CreateUserAsync();
        var calls = await stack.SandboxCallsAsync();
        Assert.Contains(calls, c => c!["path"]!.GetValue<string>() == "/api/providers/integration/control/approveConnection"
            && c["username"]?.GetValue<string>() == user.UcloudName && c["status"]!.GetValue<int>() == 200);
        var ls = await stack.Cli("users", "ls");
        Assert.Contains(user.LocalName, ls.Stdout);

        var doctor = await stack.Cli("doctor");
        Assert.True(doctor.Succeeded, doctor.Stdout + doctor.Stderr);
        Assert.Contains("0 to fix", doctor.Stdout);
        Assert.Contains("ok   sudoers: ucloud may run only", doctor.Stdout);
        Assert.Contains($"ok   ssh login: 127.0.0.1:{stack.SshLoginPort} answers SSH-2.0-ucim-test-login", doctor.Stdout);
        Assert.DoesNotContain("[green]", doctor.Stdout);
    }

    [Fact]
    public async Task When_core_says_the_user_unlinked_the_mapping_expires_and_the_instance_stops()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        var response = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/unlink", null);
        Assert.Contains("\"status\":200", await response.Content.ReadAsStringAsync());
        Assert.Null(await stack.InstanceOf(user));
        var after = await stack.BrowseAsync(user, hold: true);
        Assert.Equal(400, after.Status);
        Assert.Contains("expired", after.Why);
        Assert.Contains("expired", (await stack.Cli("users", "ls")).Stdout);
    }

    [Fact]
    public async Task Removing_a_mapping_stops_the_instance_and_tells_core()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user, hold: true)).Status);
        (await stack.Cli("users", "rm", "--ucloud-name", user.UcloudName)).Stdout.ToString();
        Assert.Null(await stack.InstanceOf(user));
        Assert.Contains(await stack.SandboxCallsAsync(), c => c!["path"]!.GetValue<string>() == "/api/providers/integration/control/clearConnection"
            && c["username"]?.GetValue<string>() == user.UcloudName);
        var after = await stack.BrowseAsync(user, hold: true);
        Assert.Contains("not connected", after.Why);
    }
}
