using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using UcloudIm.Files.Upload;
using UcloudIm.Sandbox.EndUser;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// "Uploading a File": Core asks the user's instance for an upload endpoint (449 → init → retry as usual),
/// the end-user's client sends the data over WEBSOCKET_V2 straight through the gateway to the instance.
/// </summary>
[Collection(StackCollection.Name)]
public sealed partial class UploadFlowTests(Stack stack) : IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("ucim-up-").FullName;

    private async Task<Uri> EndpointFor(TestUser user, string path, string type = "FILE", string policy = "RENAME")
    {
        var answer = await stack.ActAsync(user, "files/upload", new JsonObject { ["path"] = path, ["type"] = type, ["conflictPolicy"] = policy });
        Assert.True(answer.Status == 200, answer.Why);
        Assert.Equal("WEBSOCKET_V2", answer.Body!["responses"]![0]!["protocol"]!.GetValue<string>());
        return new Uri(answer.Body!["responses"]![0]!["endpoint"]!.GetValue<string>());
    }

    private string LocalFile(string name, int size)
    {
        var path = Path.Combine(_local, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var f = File.Create(path);
        var block = new byte[1 << 20];
        for (var left = size; left > 0; left -= block.Length)
        {
            RandomNumberGenerator.Fill(block);
            f.Write(block, 0, Math.Min(left, block.Length));
        }
        return path;
    }

    private static string Sha(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f));
    }

    [Fact]
    public async Task A_file_uploaded_with_the_sandbox_client_arrives_whole_and_owned_by_the_user()
    {
        var user = await stack.CreateUserAsync();
        var local = LocalFile("data.bin", 20_000_003);
        var run = await Shell.Run(Path.Combine(Stack.Prefix, "sandbox/ucloud-sandbox"), "upload", user.UcloudName, local, $"/{user.Drive}/data.bin",
            "--sandbox", stack.HoldSandbox.BaseAddress!.ToString().TrimEnd('/'), "--sockets", "3", "--provider-ca", stack.CaFile);
        Assert.True(run.Succeeded, run.Stdout + run.Stderr);
        Assert.Contains("1 sent", run.Stdout);
        // As a browser's: an HTTP/2 stream where the provider's HTTPS offers one (direct mode), HTTP/1.1 to the relay's plain listener.
        Assert.Contains(Stack.Mode == NetworkMode.Direct ? "over HTTP/2" : "over HTTP/1.1", run.Stdout);

        var target = $"/home/{user.LocalName}/data.bin";
        Assert.Equal(Sha(local), Sha(target));
        var stat = UcloudIm.Unix.FileStat.Of(target)!.Value;
        Assert.Equal(user.Uid, stat.Uid);
        Assert.Equal(0b110_110_000, stat.Mode);
        Assert.Equal(File.GetLastWriteTimeUtc(local), File.GetLastWriteTimeUtc(target), TimeSpan.FromMilliseconds(1));
        var calls = System.Text.Json.Nodes.JsonNode.Parse(await stack.HoldSandbox.GetStringAsync("/sandbox/calls", TestContext.Current.CancellationToken))!.AsArray();
        Assert.Contains(calls, c => c!["path"]!.GetValue<string>().EndsWith("/files/upload", StringComparison.Ordinal) && c["status"]!.GetValue<int>() == 200);
    }

    /// <param name="http1">The sockets as HTTP/1.1 upgrades (Safari, scripts) rather than HTTP/2 streams: over HTTPS the
    /// gateway gathers the TLS records of each into larger sends to the instance, and no byte may be lost or moved. Each
    /// socket's LISTING is a small message its client then waits on: a gateway that waited for more would hang here.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_folder_goes_up_over_parallel_sockets_and_a_second_run_skips_everything(bool http1)
    {
        var user = await stack.CreateUserAsync();
        for (var i = 0; i < 40; i++) LocalFile($"tree/d{i % 3}/sub/f{i}.bin", 1000 * i);
        LocalFile("tree/résumé \"v2\" ✓.txt", 10);
        LocalFile("tree/big.bin", 5_000_017); // hundreds of TLS records on one socket
        var files = UploadClient.Collect(Path.Combine(_local, "tree"));

        var endpoint = await EndpointFor(user, $"/{user.Drive}/tree", "FOLDER", "MERGE_RENAME");
        var first = await new UploadClient(endpoint, sockets: 6) { Invoker = stack.Invoker, Http1 = http1 }.UploadAsync(files, TestContext.Current.CancellationToken);
        Assert.Equal((42, 42, 0), (first.Files, first.Sent, first.Skipped));
        foreach (var f in files) Assert.Equal(Sha(f.LocalPath), Sha($"/home/{user.LocalName}/tree/{f.RelativePath}"));

        var again = await new UploadClient(await EndpointFor(user, $"/{user.Drive}/tree", "FOLDER", "MERGE_RENAME"), sockets: 6) { Invoker = stack.Invoker, Http1 = http1 }
            .UploadAsync(files, TestContext.Current.CancellationToken);
        Assert.Equal((42, 0, 42), (again.Files, again.Sent, again.Skipped));
        Assert.Equal(0, again.BytesSent);
    }

    [Fact]
    public async Task Killing_the_instance_mid_upload_resumes_to_an_identical_file_never_partial_under_its_name()
    {
        var user = await stack.CreateUserAsync();
        const int size = 256 << 20;
        var local = LocalFile("big.bin", size);
        var home = $"/home/{user.LocalName}";
        var endpoint = await EndpointFor(user, $"/{user.Drive}/big.bin");

        // Whatever stands under the final name must be the whole file: watch it by events and by polling.
        using var watcher = new FileSystemWatcher(home) { IncludeSubdirectories = false, EnableRaisingEvents = true };
        var badEvents = new List<string>();
        watcher.Created += (_, e) => { if (e.Name == "big.bin") lock (badEvents) badEvents.Add("created"); };
        watcher.Changed += (_, e) => { if (e.Name == "big.bin") lock (badEvents) badEvents.Add("changed"); };
        using var stop = new CancellationTokenSource();
        var partialSeen = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (UcloudIm.Unix.FileStat.Of($"{home}/big.bin") is { } s && s.Size != size) return true;
                await Task.Delay(2);
            }
            return false;
        });

        var sudoPid = (await stack.InstanceOf(user))!.SudoPid;
        var client = new UploadClient(endpoint, sockets: 1, chunkSize: 64 << 10) { Invoker = stack.Invoker };
        var upload = client.UploadAsync(UploadClient.Collect(local), TestContext.Current.CancellationToken);
        await Stack.WaitFor("a third of the file to be written", () =>
            Task.FromResult(Directory.GetFiles(home, ".big.bin.upload-*").Select(f => new FileInfo(f).Length).DefaultIfEmpty(0).Max() > size / 3),
            TimeSpan.FromSeconds(60));
        await Shell.Ok("kill", "-9", InstanceLifecycleTests.ChildOf(sudoPid).ToString(CultureInfo.InvariantCulture));

        var report = await upload;
        await stop.CancelAsync();
        Assert.False(await partialSeen, "a partial file stood under the final name");
        Assert.True(report.Reconnects >= 1, "the upload was not interrupted");
        // Over HTTP/2 in direct mode: the dead instance's stream is reset, and a sender waiting for its window must notice.
        Assert.Equal(Stack.Mode == NetworkMode.Direct, report.OverHttp2);
        Assert.Equal(1, report.Sent);
        Assert.Equal(Sha(local), Sha($"{home}/big.bin"));
        Assert.Empty(Directory.GetFiles(home, ".big.bin.upload-*"));
        Assert.NotEqual(sudoPid, (await stack.InstanceOf(user))!.SudoPid);
        lock (badEvents) Assert.Empty(badEvents);
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    [InlineData("a\0b")]
    [InlineData("a\u0001b")]
    public async Task Listing_paths_that_climb_or_are_absolute_or_odd_are_refused_and_nothing_is_written(string path)
    {
        var user = await stack.CreateUserAsync();
        var endpoint = await EndpointFor(user, $"/{user.Drive}/inbox", "FOLDER");
        var (status, reason) = await SendRaw(endpoint, [new ListingEntry(1, 3, 0, path)], 1, "abc"u8.ToArray());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Contains("listing path", reason);
        Assert.Empty(Directory.GetFileSystemEntries($"/home/{user.LocalName}/inbox"));
        Assert.False(File.Exists($"/home/{user.LocalName}/escape.txt"));
        Assert.False(File.Exists("/tmp/escape.txt"));
    }

    [Fact]
    public async Task A_link_out_of_the_drive_is_not_followed_even_when_swapped_in_after_the_listing()
    {
        var user = await stack.CreateUserAsync();
        var home = $"/home/{user.LocalName}";
        // A folder the user may write to anyway: the point is that an upload does not leave the drive.
        var outside = Directory.CreateTempSubdirectory("ucim-outside-").FullName;
        File.SetUnixFileMode(outside, (UnixFileMode)0b111_111_111);
        try
        {
            await Shell.Ok("setpriv", $"--reuid={user.LocalName}", $"--regid={user.LocalName}", "--init-groups", "--", "ln", "-s", outside, $"{home}/out");
            var through = await stack.ActAsync(user, "files/upload", new JsonObject { ["path"] = $"/{user.Drive}/out/f.txt", ["type"] = "FILE", ["conflictPolicy"] = "RENAME" });
            Assert.Equal(400, through.Status);
            Assert.Contains("symbolic link", through.Why);

            var endpoint = await EndpointFor(user, $"/{user.Drive}", "FOLDER", "MERGE_RENAME");
            var (status, reason) = await SendRaw(endpoint, [new ListingEntry(1, 3, 0, "out/f.txt")], 1, "abc"u8.ToArray());
            Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
            Assert.Contains("symbolic link", reason);

            // The check (listing) passes on a real folder; the folder becomes a link before the data (use).
            await Shell.Ok("setpriv", $"--reuid={user.LocalName}", $"--regid={user.LocalName}", "--init-groups", "--", "mkdir", $"{home}/swap");
            (status, reason) = await SendRaw(endpoint, [new ListingEntry(1, 3, 0, "swap/f.txt")], 1, "abc"u8.ToArray(), afterOk: async () =>
            {
                await Shell.Ok("mv", $"{home}/swap", $"{home}/swapped");
                await Shell.Ok("ln", "-s", outside, $"{home}/swap");
            });
            Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
            Assert.Contains("symbolic link", reason);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public async Task Alices_upload_link_through_bobs_route_is_refused_plainly()
    {
        var alice = await stack.CreateUserAsync();
        var bob = await stack.CreateUserAsync();
        var endpoint = await EndpointFor(alice, $"/{alice.Drive}/x.txt");
        var bobsHint = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(bob.UcloudName)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var hijacked = new Uri(HintRegex().Replace(endpoint.ToString(), "usernameHint=" + bobsHint));

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(hijacked, stack.Invoker, TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);

        var plain = await stack.Browser.GetAsync(new UriBuilder(hijacked) { Scheme = hijacked.Scheme == "wss" ? "https" : "http" }.Uri);
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Contains("belongs to another user", await plain.Content.ReadAsStringAsync());
        Assert.False(File.Exists($"/home/{bob.LocalName}/x.txt"));
    }

    [Fact]
    public async Task An_upload_into_a_folder_the_user_cannot_write_is_refused_before_any_data()
    {
        var user = await stack.CreateUserAsync();
        Directory.CreateDirectory($"/home/{user.LocalName}/roots");
        var answer = await stack.ActAsync(user, "files/upload", new JsonObject { ["path"] = $"/{user.Drive}/roots/f.txt", ["type"] = "FILE" });
        Assert.Equal(403, answer.Status);
        var folder = await stack.ActAsync(user, "files/upload", new JsonObject { ["path"] = $"/{user.Drive}/roots/dir", ["type"] = "FOLDER" });
        Assert.Equal(403, folder.Status);
        var unsupported = await stack.ActAsync(user, "files/upload", new JsonObject { ["path"] = $"/{user.Drive}/f.txt", ["type"] = "TAPE" });
        Assert.Equal(400, unsupported.Status);
    }

    /// <summary>Lists, waits for the answer, optionally acts, sends one chunk; returns how the provider closed.</summary>
    private async Task<(WebSocketCloseStatus? Status, string Reason)> SendRaw(Uri endpoint, List<ListingEntry> listing, int fileId, byte[] data, Func<Task>? afterOk = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(endpoint, stack.Invoker, ct);
        await socket.SendAsync(UploadProtocol.Listing(listing), WebSocketMessageType.Binary, true, ct);
        var buffer = new byte[4096];
        var r = await socket.ReceiveAsync(buffer, ct);
        if (r.MessageType != WebSocketMessageType.Close)
        {
            Assert.Contains((UploadOp.Ok, fileId), UploadProtocol.ParseReplies(buffer.AsSpan(0, r.Count)));
            if (afterOk is not null) await afterOk();
            var chunk = new byte[5 + data.Length];
            UploadProtocol.WriteChunkHeader(chunk, fileId);
            data.CopyTo(chunk, 5);
            await socket.SendAsync(chunk, WebSocketMessageType.Binary, true, ct);
            do r = await socket.ReceiveAsync(buffer, ct); while (r.MessageType != WebSocketMessageType.Close);
        }
        return (socket.CloseStatus, socket.CloseStatusDescription ?? "");
    }

    [GeneratedRegex("usernameHint=[^&]*")]
    private static partial Regex HintRegex();

    public void Dispose() => Directory.Delete(_local, true);
}
