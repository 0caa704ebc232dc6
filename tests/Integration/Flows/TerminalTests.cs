using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// Terminals through the gateway (both modes), with UCloud's shell protocol: a login shell on the frontend in a
/// folder, and a shell inside a running Slurm job. Each runs as its user, with the window size the browser says,
/// opens once per session identifier, and ends (its processes gone) when the browser closes the socket.
/// </summary>
[Collection(StackCollection.Name)]
public sealed partial class TerminalTests(Stack stack)
{
    [Fact]
    public async Task A_folder_terminal_is_the_users_login_shell_in_that_folder_and_hangs_up_when_closed()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await stack.CreateUserAsync();
        var opened = await stack.ActAsync(alice, "terminal", new JsonObject { ["path"] = "/" + alice.Drive }, hold: true);
        Assert.Equal(200, opened.Status);
        var answer = opened.Body!["responses"]![0]!;
        var session = answer["session"]!;
        // UCloud's OpenSession: the folder as jobId, and the provider's public WebSocket address as domainOverride.
        Assert.Equal(("shell", "/" + alice.Drive, 0), (session["type"]!.ToString(), session["jobId"]!.ToString(), session["rank"]!.GetValue<int>()));
        Assert.Equal(WebSocketBase(stack.ProviderUrl), session["domainOverride"]!.ToString());
        var id = session["sessionIdentifier"]!.ToString();
        var url = new Uri(answer["connectTo"]!.ToString());

        using var terminal = await TerminalClient.ConnectAsync(stack, url, id, columns: 100, rows: 30, ct);
        await terminal.TypeAsync("echo \"UID=$(id -u) PWD=$PWD SIZE=$(stty size)\"; echo \"PID=$$\"\n", ct);
        var said = await terminal.ReadUntilAsync(Marker(), ct);
        Assert.Contains($"UID={alice.Uid} PWD=/home/{alice.LocalName} SIZE=30 100", said);
        var pid = int.Parse(PidLine().Match(said).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(alice.Uid, OwnerOf(pid));
        // The shell holds its terminal and nothing of the instance's (its sockets, the server's pipe): every other
        // descriptor was close-on-exec. 255 is bash's own copy of the terminal.
        Assert.Equal(["0", "1", "2", "255"], Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        Assert.StartsWith("/dev/pts/", new FileInfo($"/proc/{pid}/fd/0").LinkTarget);

        // The browser's window grows: the shell sees it.
        await terminal.ResizeAsync(120, 40, ct);
        await terminal.TypeAsync("echo \"NOW=$(stty size)\"\n", ct);
        Assert.Contains("NOW=40 120", await terminal.ReadUntilAsync(NowLine(), ct));

        // Closing the tab hangs up: the shell is gone within seconds, not left behind.
        await terminal.AbortAsync();
        await Stack.WaitFor("the shell to end", () => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(15));

        // The identifier opened one terminal: a second connection with it is refused.
        var again = await TerminalClient.RefusalAsync(stack, url, id, ct);
        Assert.Equal(403, again.Status);
        Assert.Contains("open the terminal again", again.Why);
    }

    [Fact]
    public async Task The_sandboxs_terminal_command_runs_what_it_is_given_in_the_users_shell()
    {
        var alice = await stack.CreateUserAsync();
        var ca = stack.ProviderUrl.Scheme == "https" ? new[] { "--provider-ca", stack.CaFile } : [];
        var r = await new UcloudIm.Hosting.CommandRunner().RunAsync(new UcloudIm.Hosting.ExternalCommand(Path.Combine(Stack.Prefix, "sandbox/ucloud-sandbox"),
            ["terminal", alice.UcloudName, "--folder", "/" + alice.Drive, "--sandbox", stack.Sandbox.BaseAddress!.ToString(), .. ca])
        { StandardInput = "echo \"answer-$((6 * 7)) as $(id -un)\"; exit\n", Timeout = TimeSpan.FromSeconds(60) }, TestContext.Current.CancellationToken);
        Assert.True(r.Succeeded, r.Stderr + r.Stdout);
        Assert.Contains($"answer-42 as {alice.LocalName}", r.Stdout);
    }

    [Fact]
    public async Task A_session_identifier_is_good_for_its_user_only_and_a_made_up_one_for_nobody()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        var answer = (await stack.ActAsync(alice, "terminal", new JsonObject { ["path"] = "/" + alice.Drive }, hold: true)).Body!["responses"]![0]!;
        var id = answer["session"]!["sessionIdentifier"]!.ToString();
        var url = new Uri(answer["connectTo"]!.ToString());
        // Through bob's route, alice's identifier reaches bob's instance, which never made it.
        var bobs = new Uri(url.GetLeftPart(UriPartial.Path) + $"?session={Uri.EscapeDataString(id)}&usernameHint={Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes(bob.UcloudName)))}");
        Assert.Equal(403, (await TerminalClient.RefusalAsync(stack, bobs, id, ct)).Status);
        Assert.Equal(403, (await TerminalClient.RefusalAsync(stack, url, "made-up", ct)).Status);
        // A folder that is not alice's is refused as her file operations are.
        var foreign = await stack.ActAsync(alice, "terminal", new JsonObject { ["path"] = "/" + bob.Drive }, hold: true);
        Assert.NotEqual(200, foreign.Status);
    }

    [Fact]
    public async Task A_job_terminal_is_a_shell_inside_the_running_job_and_ends_with_the_shell()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await stack.CreateUserAsync();
        await using var jobs = Stack.CancelJobsAtEnd(alice);
        var bob = await stack.CreateUserAsync();
        var job = (await stack.StartJobAsync(alice, "sleep 300"))["jobId"]!.ToString();
        await Stack.WaitFor($"job {job} to run", async () => (await stack.JobAsync(alice, job))["state"]!.ToString() == "RUNNING", TimeSpan.FromSeconds(60));
        var slurmId = (await stack.JobAsync(alice, job))["providerGeneratedId"]!.ToString();

        // Bob cannot open a terminal in Alice's job.
        Assert.Equal(404, (await OpenShellAsync(bob, job)).Status);
        var opened = await OpenShellAsync(alice, job);
        Assert.Equal(200, opened.Status);
        var session = opened.Body!["responses"]![0]!["session"]!;
        Assert.Equal(("shell", job, 0), (session["type"]!.ToString(), session["jobId"]!.ToString(), session["rank"]!.GetValue<int>()));
        Assert.Equal(WebSocketBase(stack.ProviderUrl), session["domainOverride"]!.ToString());

        var url = new Uri(opened.Body!["responses"]![0]!["connectTo"]!.ToString());
        using var terminal = await TerminalClient.ConnectAsync(stack, url, session["sessionIdentifier"]!.ToString(), columns: 90, rows: 20, ct);
        await terminal.TypeAsync("echo \"JOB=$SLURM_JOB_ID UID=$(id -u) PWD=$PWD SIZE=$(stty size)\"\n", ct);
        var said = await terminal.ReadUntilAsync(JobLine(), ct);
        Assert.Contains($"JOB={slurmId} UID={alice.Uid} PWD=/home/{alice.LocalName}/ucloud-jobs/{job} SIZE=20 90", said);

        // The user ends the shell: the terminal says so and closes normally; the job runs on.
        await terminal.TypeAsync("exit\n", ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await terminal.ClosedAsync(ct));
        Assert.Equal("RUNNING", (await stack.JobAsync(alice, job))["state"]!.ToString());
    }

    private async Task<(int Status, JsonNode? Body)> OpenShellAsync(TestUser user, string jobId)
    {
        var response = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs/{jobId}/open?type=SHELL", null);
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (node["status"]!.GetValue<int>(), node["body"]);
    }

    private static string WebSocketBase(Uri provider) => (provider.Scheme == "https" ? "wss://" : "ws://") + provider.Authority;

    private static uint OwnerOf(int pid) =>
        uint.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture);

    // The markers match what the shell printed, not the echoed command line (which has the unexpanded text).
    [GeneratedRegex(@"PID=(\d+)")]
    private static partial Regex PidLine();

    [GeneratedRegex(@"UID=\d+ PWD=\S+ SIZE=\d+ \d+[\s\S]*PID=\d+")]
    private static partial Regex Marker();

    [GeneratedRegex(@"NOW=\d+ \d+")]
    private static partial Regex NowLine();

    [GeneratedRegex(@"JOB=\d+ UID=\d+ PWD=\S+ SIZE=\d+ \d+")]
    private static partial Regex JobLine();
}

/// <summary>A browser's terminal: UCloud's shell protocol over the provider's WebSocket.</summary>
internal sealed class TerminalClient : IDisposable
{
    private readonly ClientWebSocket _ws;
    private readonly StringBuilder _output = new();

    private TerminalClient(ClientWebSocket ws) => _ws = ws;

    /// <summary>Opens <paramref name="url"/> (the browser's terminal URL) and initializes with <paramref name="session"/>.</summary>
    public static async Task<TerminalClient> ConnectAsync(Stack stack, Uri url, string session, int columns, int rows, CancellationToken ct)
    {
        var client = new TerminalClient(await OpenAsync(stack, url, session, columns, rows, ct));
        var first = await client.NextAsync(ct) ?? throw new InvalidOperationException("the terminal closed at once: " + client._ws.CloseStatusDescription);
        Assert.Equal("initialize", first["payload"]?["type"]?.ToString());
        return client;
    }

    /// <summary>The provider's answer to a connection it refuses: the status and reason of its final frame.</summary>
    public static async Task<(int Status, string Why)> RefusalAsync(Stack stack, Uri url, string session, CancellationToken ct)
    {
        using var client = new TerminalClient(await OpenAsync(stack, url, session, 80, 24, ct));
        var answer = await client.NextAsync(ct) ?? throw new InvalidOperationException("closed without an answer");
        Assert.Equal("response", answer["type"]?.ToString());
        Assert.Null(await client.NextAsync(ct));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client._ws.CloseStatus);
        return (answer["status"]!.GetValue<int>(), answer["payload"]?["why"]?.ToString() ?? "");
    }

    private static async Task<ClientWebSocket> OpenAsync(Stack stack, Uri url, string session, int columns, int rows, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(url, stack.Invoker, ct);
        await Send(ws, new JsonObject { ["type"] = "initialize", ["sessionIdentifier"] = session, ["cols"] = columns, ["rows"] = rows }, ct);
        return ws;
    }

    public Task TypeAsync(string text, CancellationToken ct) => Send(_ws, new JsonObject { ["type"] = "input", ["data"] = text }, ct);

    public Task ResizeAsync(int columns, int rows, CancellationToken ct) => Send(_ws, new JsonObject { ["type"] = "resize", ["cols"] = columns, ["rows"] = rows }, ct);

    /// <summary>Everything the terminal showed until <paramref name="marker"/> appears in it (30 s at most).</summary>
    public async Task<string> ReadUntilAsync(Regex marker, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (!marker.IsMatch(_output.ToString()))
            {
                var message = await NextAsync(limit.Token) ?? throw new InvalidOperationException("the terminal closed; it showed: " + _output);
                if (message["payload"]?["type"]?.ToString() == "data") _output.Append(message["payload"]!["data"]!.ToString());
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no {marker} in 30 s; the terminal showed: {_output}");
        }
        var all = _output.ToString();
        _output.Clear();
        return all;
    }

    /// <summary>Reads until the provider closes; its close status. The last frame before it must be the final response.</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync(CancellationToken ct)
    {
        JsonNode? last = null;
        while (await NextAsync(ct) is { } message) last = message;
        Assert.Equal("response", last?["type"]?.ToString());
        return _ws.CloseStatus;
    }

    /// <summary>The browser tab closes: the connection is cut without a close handshake.</summary>
    public Task AbortAsync()
    {
        _ws.Abort();
        return Task.CompletedTask;
    }

    private async Task<JsonNode?> NextAsync(CancellationToken ct)
    {
        var buffer = new byte[64 << 10];
        using var text = new MemoryStream();
        while (true)
        {
            var r = await _ws.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            text.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return JsonNode.Parse(text.ToArray());
        }
    }

    private static Task Send(WebSocket ws, JsonObject payload, CancellationToken ct) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(new JsonObject { ["call"] = $"jobs.compute.{Stack.ProviderId}.shell.open", ["streamId"] = "0", ["payload"] = payload }.ToJsonString()),
            WebSocketMessageType.Text, true, ct);

    public void Dispose() => _ws.Dispose();
}
