using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using UcloudIm.Sandbox.EndUser;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>What each networking mode promises beyond the flows (which run in both): listeners, redirects, certificates, the tunnel.</summary>
[Collection(StackCollection.Name)]
public sealed class NetworkingTests(Stack stack)
{
    [Fact]
    public async Task The_provider_listens_only_where_its_mode_says()
    {
        var user = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(user)).Status);
        var instance = (await stack.InstanceOf(user))!;
        var gateway = Listeners.Of(stack.GatewayPid).Select(e => e.Port).Order().ToList();
        if (Stack.Mode == NetworkMode.Proxy)
        {
            // The plain listener on loopback, and nothing else: every outside request comes down the tunnel.
            Assert.Equal([stack.GatewayPort], gateway);
        }
        else
        {
            Assert.Equal(new[] { stack.GatewayPort, stack.TlsPort, stack.RedirectPort }.Order().ToList(), gateway);
        }
        foreach (var pid in new[] { stack.GatewayPid, stack.ServerPid }.Concat(Listeners.Tree(instance.SudoPid)))
        {
            foreach (var endpoint in Listeners.Of(pid))
                Assert.True(IPAddress.IsLoopback(endpoint.Address), $"pid {pid} listens on {endpoint}, which is not loopback");
        }
    }

    [Fact]
    public async Task Plain_http_only_redirects_to_https()
    {
        Assert.SkipWhen(Stack.Mode == NetworkMode.Proxy, "direct mode only: proxy mode has no public listener");
        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var response = await plain.PostAsync($"http://127.0.0.1:{stack.RedirectPort}/ucloud/{Stack.ProviderId}/files/browse?itemsPerPage=5", new StringContent("{}"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
        Assert.Equal($"https://127.0.0.1:{stack.TlsPort}/ucloud/{Stack.ProviderId}/files/browse?itemsPerPage=5", response.Headers.Location!.ToString());
        Assert.Equal("", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_replaced_certificate_serves_new_connections_while_open_ones_finish()
    {
        Assert.SkipWhen(Stack.Mode == NetworkMode.Proxy, "direct mode only: proxy mode serves no certificate");
        var ct = TestContext.Current.CancellationToken;
        var (_, data, link) = await FileWithLinkAsync(32 << 20);

        var (oldClient, oldSeen) = Recording();
        using var response = await oldClient.GetAsync(link, HttpCompletionOption.ResponseHeadersRead, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var received = new MemoryStream();
        var buffer = new byte[1 << 20];
        received.Write(buffer, 0, await body.ReadAsync(buffer, ct));

        var fresh = stack.Certificates.WriteLeaf(Path.Combine(stack.ConfigDir, "tls/cert.pem"), Path.Combine(stack.ConfigDir, "tls/key.pem"), "renewed gateway");
        Assert.NotEqual(fresh, oldSeen());
        var (newClient, newSeen) = Recording();
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync(link, ct)).StatusCode);
        Assert.Equal(fresh, newSeen());

        // The download that started under the old certificate finishes on its connection.
        await body.CopyToAsync(received, ct);
        Assert.Equal(data, received.ToArray());
        oldClient.Dispose();
        newClient.Dispose();
    }

    /// <summary>A client on its own connections that remembers the certificate the gateway presented.</summary>
    private (HttpClient, Func<string?>) Recording()
    {
        string? seen = null;
        var handler = stack.Tls.CreateHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            seen = certificate is null ? null : new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate).Thumbprint;
            return errors == SslPolicyErrors.None;
        };
        return (new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) }, () => seen);
    }

    [Fact]
    public async Task A_tunnel_cut_mid_download_is_an_error_and_the_next_request_succeeds()
    {
        Assert.SkipWhen(Stack.Mode == NetworkMode.Direct, "proxy mode only");
        var ct = TestContext.Current.CancellationToken;
        var (user, data, link) = await FileWithLinkAsync(64 << 20);
        var before = await RelayAsync();

        using var response = await stack.Browser.GetAsync(link, HttpCompletionOption.ResponseHeadersRead, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[256 << 10];
        var received = await body.ReadAsync(buffer, ct);
        var cut = await stack.Sandbox.PostAsync("/sandbox/relay/cut", null, ct);
        Assert.Equal(1, JsonNode.Parse(await cut.Content.ReadAsStringAsync(ct))!["live"]!.GetValue<int>());
        var failed = await Record.ExceptionAsync(async () =>
        {
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0) received += n;
        });
        // Either the read fails or the body ends short: the client never takes a cut body for the file.
        Assert.True(failed is IOException or HttpRequestException || received < data.Length, $"read {received} of {data.Length} bytes after the cut, no error");

        await Stack.WaitFor("the gateway to dial again", async () => (await stack.BrowseAsync(user, hold: false)).Status == 200, TimeSpan.FromSeconds(20));
        var after = await RelayAsync();
        Assert.Equal(1, after.Live);
        Assert.True(after.Accepted > before.Accepted, "the gateway did not make a new tunnel");
    }

    [Fact]
    public async Task A_hundred_requests_and_ten_websockets_share_one_tunnel()
    {
        Assert.SkipWhen(Stack.Mode == NetworkMode.Direct, "proxy mode only");
        var user = await stack.CreateUserAsync();
        for (var i = 0; i < 30; i++) await File.WriteAllTextAsync($"/home/{user.LocalName}/match-{i}.txt", "x");
        await Shell.Ok("chown", "-R", $"{user.LocalName}:{user.LocalName}", $"/home/{user.LocalName}");
        Assert.Equal(200, (await stack.BrowseAsync(user)).Status);
        var before = await RelayAsync();

        var browses = Enumerable.Range(0, 100).Select(_ => stack.BrowseAsync(user, hold: false)).ToList();
        var searches = Enumerable.Range(0, 10).Select(_ => stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/files/search",
            new StringContent(new JsonObject { ["path"] = $"/{user.Drive}", ["query"] = "match-" }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"))).ToList();
        Assert.All(await Task.WhenAll(browses), b => Assert.Equal(200, b.Status));
        foreach (var s in await Task.WhenAll(searches))
        {
            var answer = JsonNode.Parse(await s.Content.ReadAsStringAsync())!;
            Assert.Equal(200, answer["status"]!.GetValue<int>());
            Assert.Equal(30, answer["files"]!.AsArray().Count);
        }
        var after = await RelayAsync();
        Assert.Equal((1, before.Accepted), (after.Live, after.Accepted));
    }

    [Fact]
    public async Task A_gateway_that_does_not_trust_the_relays_certificate_gets_no_tunnel_and_says_why()
    {
        Assert.SkipWhen(Stack.Mode == NetworkMode.Direct, "proxy mode only");
        // The stack's gateways trust the relay through gateway.proxy.ca (every proxy-mode test dials wss:// so);
        // this one has no ca, so the relay's certificate is as good as a stranger's: the relay token must not go to it.
        var before = await RelayAsync();
        var proxy = $"  mode: proxy\n  proxy: {{ relay: \"{stack.RelayUrl()}\", tokenFile: {Path.Combine(stack.ConfigDir, "relay-token")}, maxBackoff: 1s }}\n";
        var (gateway, client) = await stack.StartGatewayAsync("gateway-untrusting", c => c.Replace("  user: ucloud-gw\n", "  user: ucloud-gw\n" + proxy, StringComparison.Ordinal));
        await using (gateway)
        using (client)
        {
            await Stack.WaitFor("the gateway to report the refused certificate", () => Task.FromResult(gateway.Log().Contains("TLS with the relay failed", StringComparison.Ordinal)), TimeSpan.FromSeconds(20));
            Assert.Contains("gateway.proxy.ca", gateway.Log());
            await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            Assert.Equal(before.Accepted, (await RelayAsync()).Accepted);
            Assert.DoesNotContain("tunnel to the relay", gateway.Log());
        }
    }

    /// <summary>A fresh user with a random file of <paramref name="size"/> bytes, and its download link.</summary>
    /// <summary>
    /// Every request, WebSocket and download of every user is one HTTP/2 stream of the one tunnel, and those of
    /// terminals, followed jobs, uploads and applications stay open for hours. HTTP/2's default cap of 100
    /// concurrent streams per connection would make the 101st wait, Core's calls included, until one closed.
    /// Here 150 downloads are held open, unread, and each must get its answer, and a browse after them too.
    /// </summary>
    [Fact]
    public async Task Streams_held_open_in_the_tunnel_never_make_another_request_wait()
    {
        Assert.SkipWhen(Stack.Mode == NetworkMode.Direct, "proxy mode only");
        var ct = TestContext.Current.CancellationToken;
        var (user, _, link) = await FileWithLinkAsync(16 << 20);
        const int held = 150;
        var opened = new List<HttpResponseMessage>();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(60));
            var opens = Enumerable.Range(0, held).Select(async _ =>
            {
                try
                {
                    var response = await stack.Browser.GetAsync(link, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                    lock (opened) opened.Add(response);
                    return (int)response.StatusCode;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return 0; // no answer within the minute: it waited for a stream that never came free
                }
            }).ToList();
            var statuses = await Task.WhenAll(opens);
            Assert.True(statuses.All(s => s == 200), "answers other than 200: " + string.Join(", ", statuses.Where(s => s != 200).GroupBy(s => s).Select(g => $"{g.Count()} × {g.Key}")));
            var browse = await stack.BrowseAsync(user, hold: false);
            Assert.Equal(200, browse.Status);
            Assert.Equal(1, (await RelayAsync()).Live);
        }
        finally
        {
            foreach (var response in opened) response.Dispose();
        }
    }

    [Fact]
    public async Task Uploads_whose_instance_stopped_reading_leave_the_tunnel_open_to_everyone_else()
    {
        // A user's instance stuck in a hung file system stops reading its uploads; each of their streams then holds
        // as much as the relay may send ahead. In proxy mode all of them share the tunnel's connection window: with
        // HTTP/2's usual 768 KiB per stream and 1 MiB in all, two such uploads left no room for any other request
        // body, Core's calls included (gateway.proxy.streamWindow, connectionWindow). In direct mode each browser has
        // its own connection; the test holds there too.
        var ct = TestContext.Current.CancellationToken;
        var stuck = await stack.CreateUserAsync();
        var other = await stack.CreateUserAsync();
        Assert.Equal(200, (await stack.BrowseAsync(other)).Status);
        var local = Directory.CreateTempSubdirectory("ucim-stalled-").FullName;
        try
        {
            const int files = 4, size = 48 << 20;
            for (var i = 0; i < files; i++) await File.WriteAllBytesAsync(Path.Combine(local, $"f{i}.bin"), RandomNumberGenerator.GetBytes(size), ct);
            var answer = await stack.ActAsync(stuck, "files/upload", new JsonObject { ["path"] = $"/{stuck.Drive}/in", ["type"] = "FOLDER", ["conflictPolicy"] = "RENAME" });
            Assert.True(answer.Status == 200, answer.Why);
            var endpoint = new Uri(answer.Body!["responses"]![0]!["endpoint"]!.GetValue<string>());
            var sudo = (await stack.InstanceOf(stuck))!.SudoPid;
            var instance = InstanceLifecycleTests.ChildOf(sudo);
            var upload = new UploadClient(endpoint, sockets: files) { Invoker = stack.Invoker }.UploadAsync(UploadClient.Collect(local), ct);
            var home = $"/home/{stuck.LocalName}/in";
            await Stack.WaitFor("every file's upload to have begun", () => Task.FromResult(
                Directory.Exists(home) && Directory.GetFiles(home, ".f*.upload-*").Count(f => new FileInfo(f).Length > 0) == files), TimeSpan.FromSeconds(60));

            Assert.True(UcloudIm.Unix.ProcessIdentity.Signal(instance, 19)); // SIGSTOP: it reads nothing more (sudo stops with it)
            try
            {
                // The client goes on sending until every stream's window is full: a moment at loopback speed.
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
                var browse = stack.BrowseAsync(other);
                var first = await Task.WhenAny(browse, Task.Delay(TimeSpan.FromSeconds(20), ct));
                Assert.True(first == browse, "another user's browse got no answer within 20 s while the stalled uploads held the tunnel");
                Assert.Equal(200, (await browse).Status);
            }
            finally
            {
                UcloudIm.Unix.ProcessIdentity.Signal(sudo, 18); // SIGCONT, to both
                UcloudIm.Unix.ProcessIdentity.Signal(instance, 18);
            }
            var report = await upload;
            Assert.Equal(files, report.Sent);
            for (var i = 0; i < files; i++)
                Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(local, $"f{i}.bin"), ct), await File.ReadAllBytesAsync($"{home}/f{i}.bin", ct));
        }
        finally
        {
            Directory.Delete(local, true);
        }
    }

    private async Task<(TestUser User, byte[] Data, string Link)> FileWithLinkAsync(int size)
    {
        var user = await stack.CreateUserAsync();
        var data = RandomNumberGenerator.GetBytes(size);
        await Stack.WriteFileAsync(user, "data.bin", data);
        return (user, data, await stack.DownloadLinkAsync(user, $"/{user.Drive}/data.bin"));
    }

    private async Task<(int Live, long Accepted)> RelayAsync()
    {
        var node = JsonNode.Parse(await stack.Sandbox.GetStringAsync("/sandbox/relay"))!;
        return (node["live"]!.GetValue<int>(), node["accepted"]!.GetValue<long>());
    }
}
