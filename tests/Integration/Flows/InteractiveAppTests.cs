using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using UcloudIm.Tests.Integration.Support;

namespace UcloudIm.Tests.Integration.Flows;

/// <summary>
/// A job's web interface on its own domain (in proxy mode the relay serves that domain and sends it down the
/// tunnel): a real Slurm job tells its port, the gateway proxies to the job's node only with that job's session,
/// which the one-time link sets. A job's VNC server: a WebSocket on the provider's address, with the session in the URL and the job's own password.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class InteractiveAppTests(Stack stack)
{
    private const string Cookie = "ucloud-app-session";

    [Fact]
    public async Task A_jobs_web_interface_needs_its_own_unexpired_session()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await StartUpstreamAsync(ct);
        var port = new Uri(upstream.Urls.First()).Port;
        var alice = await stack.CreateUserAsync();
        await using var jobs = Stack.CancelJobsAtEnd(alice);
        var bob = await stack.CreateUserAsync();
        var (a, b) = await TwoRunningJobsAsync(alice, "web-shell", port);

        // Bob cannot open Alice's job.
        Assert.Equal(404, (await OpenAsync(bob, a)).Status);
        var linkA = (await OpenAsync(alice, a)).Link!;
        var linkB = (await OpenAsync(alice, b)).Link!;
        var hostA = $"app-{a}-0.{TestCertificates.AppsDomain}";
        Assert.StartsWith($"https://{hostA}:{stack.AppsPort}/ucloud/{Stack.ProviderId}/authorize-app?token=", linkA);

        using var browser = AppBrowser();
        var authorized = await browser.GetAsync(linkA, ct);
        Assert.Equal(HttpStatusCode.Redirect, authorized.StatusCode);
        Assert.Equal("/", authorized.Headers.Location!.OriginalString);
        var setCookie = authorized.Headers.GetValues("Set-Cookie").Single();
        var attributes = setCookie.Split(';').Select(p => p.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("secure", attributes);
        Assert.Contains("samesite=lax", attributes);
        Assert.Contains("max-age=8", attributes);
        Assert.DoesNotContain(attributes, p => p.StartsWith("domain=", StringComparison.Ordinal));
        var sessionA = setCookie.Split(';')[0][(Cookie.Length + 1)..];
        // The link works once.
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(linkA, ct)).StatusCode);

        // With the session: the job's interface answers, and sees neither the session nor a forged identity.
        var answer = await GetAsync(browser, hostA, "/hello?x=1", $"{Cookie}={sessionA}; theirs=1", ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var seen = JsonNode.Parse(await answer.Content.ReadAsStringAsync(ct))!;
        Assert.Equal("/hello?x=1", seen["path"]!.ToString());
        Assert.Equal("theirs=1", seen["cookie"]!.ToString());
        Assert.Equal("", seen["ucloudUsername"]!.ToString());

        // Without a session, or with another job's session: refused.
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(browser, hostA, "/hello", null, ct)).StatusCode);
        var sessionB = (await browser.GetAsync(linkB, ct)).Headers.GetValues("Set-Cookie").Single().Split(';')[0][(Cookie.Length + 1)..];
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(browser, hostA, "/hello", $"{Cookie}={sessionB}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(browser, $"app-{b}-0.{TestCertificates.AppsDomain}", "/hello", $"{Cookie}={sessionB}", ct)).StatusCode);
        // Plain HTTP with the valid session is refused, whatever X-Forwarded-Proto the client claims: on the gateway's
        // loopback listener, and (proxy mode) on the relay's plain port, whose own word in that header is "http".
        var plainPorts = Stack.Mode == NetworkMode.Proxy ? new[] { stack.GatewayPort, stack.SandboxPort } : [stack.GatewayPort];
        foreach (var plainPort in plainPorts)
        {
            var plain = await PlainGetAsync(plainPort, hostA, $"{Cookie}={sessionA}", ct);
            Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
            Assert.Contains("HTTPS only", await plain.Content.ReadAsStringAsync(ct));
        }

        // Expired (the test config gives sessions 8 s): refused, whatever the browser still sends.
        await Task.Delay(TimeSpan.FromSeconds(9), ct);
        var expired = await GetAsync(browser, hostA, "/hello", $"{Cookie}={sessionA}", ct);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task A_web_interface_that_does_not_listen_yet_gets_a_page_that_tries_again_by_itself()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = Stack.FreePort();
        var alice = await stack.CreateUserAsync();
        await using var jobs = Stack.CancelJobsAtEnd(alice);
        var (a, _) = await TwoRunningJobsAsync(alice, "web-shell", port);
        using var browser = AppBrowser();
        var cookie = (await browser.GetAsync((await OpenAsync(alice, a)).Link!, ct)).Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var host = $"app-{a}-0.{TestCertificates.AppsDomain}";

        // A page load while nothing listens on the job's port: 503 with a page that reloads itself, and says where to look.
        var page = await GetAsync(browser, host, "/lab?x=<script>", cookie, ct, accept: "text/html,application/xhtml+xml,*/*;q=0.8");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), page.Headers.RetryAfter!.Delta);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"2\">", html);
        Assert.Contains("stderr.txt", html);
        Assert.DoesNotContain("<script>", html);
        // A script's request gets the same status in plain words.
        var fetch = await GetAsync(browser, host, "/api/status", cookie, ct, accept: "application/json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, fetch.StatusCode);
        Assert.Equal("text/plain", fetch.Content.Headers.ContentType!.MediaType);
        Assert.Contains("may still be starting", await fetch.Content.ReadAsStringAsync(ct));

        // Once the application listens, the same reload reaches it.
        await using var upstream = await StartUpstreamAsync(ct, port);
        var reload = await GetAsync(browser, host, "/lab", cookie, ct, accept: "text/html");
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal("/lab", JsonNode.Parse(await reload.Content.ReadAsStringAsync(ct))!["path"]!.ToString());
    }

    [Fact]
    public async Task Opening_a_job_that_runs_but_has_not_said_its_port_yet_waits_for_it_and_then_gives_up_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await StartUpstreamAsync(ct);
        var port = new Uri(upstream.Urls.First()).Port;
        var alice = await stack.CreateUserAsync();
        await using var jobs = Stack.CancelJobsAtEnd(alice);
        // The script takes the prelude's port file away and says its own port only once the test lets it: the open
        // that comes in between is the user's click during a slow start (a node's prolog, a container image pulled).
        var late = (await stack.StartApplicationAsync(alice, "web-shell", new JsonObject
        {
            ["script"] = $"rm -f allocated-port.txt; while [ ! -e go ]; do sleep 0.2; done; echo {port} > allocated-port.txt; sleep 300",
        }))["jobId"]!.ToString();
        var never = (await stack.StartApplicationAsync(alice, "web-shell", new JsonObject { ["script"] = "rm -f allocated-port.txt; sleep 300" }))["jobId"]!.ToString();
        await RunningAsync(alice, late, never);
        var lateFolder = $"/home/{alice.LocalName}/ucloud-jobs/{late}";
        await Stack.WaitFor("the script to start", () => Task.FromResult(File.Exists($"{lateFolder}/stdout.txt") && !File.Exists($"{lateFolder}/allocated-port.txt")));

        var opening = OpenAsync(alice, late);
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        Assert.False(opening.IsCompleted, "the open answered before the job said its port");
        Assert.True((await Shell.As(alice.LocalName, "touch", $"{lateFolder}/go")).Succeeded);
        var opened = await opening;
        Assert.Equal(200, opened.Status);
        // The link leads to the port the script said.
        using var browser = AppBrowser();
        var cookie = (await browser.GetAsync(opened.Link!, ct)).Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(browser, $"app-{late}-0.{TestCertificates.AppsDomain}", "/hello", cookie, ct)).StatusCode);

        // A job that never says its port: refused after the wait, with where to look.
        var refused = await OpenAsync(alice, never, "WEB");
        Assert.Equal(409, refused.Status);
        Assert.Contains("has not said which port it listens on 10 s after its job started running", refused.Body!["why"]!.ToString());
        Assert.Contains("stderr.txt", refused.Body!["why"]!.ToString());
    }

    [Fact]
    public async Task An_application_that_declares_a_web_port_is_opened_through_its_job_on_a_port_the_job_chose()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await stack.CreateUserAsync();
        await using var jobs = Stack.CancelJobsAtEnd(alice);
        // jobs/retrieveProducts says web interfaces are supported (gateway.apps is configured).
        var products = JsonNode.Parse(await (await stack.Sandbox.GetAsync("/sandbox/products", ct)).Content.ReadAsStringAsync(ct))!;
        Assert.True(products["body"]!["responses"]![0]!["native"]!["web"]!.GetValue<bool>());

        // deploy/config-example/applications/files-web.yml: web.port auto, Python serving the job folder.
        const string note = "it's <alice's> note; $(id)";
        var web = (await stack.StartApplicationAsync(alice, "files-web", new JsonObject { ["note"] = note }))["jobId"]!.ToString();
        var shell = (await stack.StartJobAsync(alice, "sleep 300"))["jobId"]!.ToString();
        await RunningAsync(alice, web);

        // An application without a web interface cannot be opened.
        var plain = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(alice.UcloudName)}/jobs/{shell}/open", null, ct);
        var plainAnswer = JsonNode.Parse(await plain.Content.ReadAsStringAsync(ct))!;
        Assert.Equal(400, plainAnswer["status"]!.GetValue<int>());
        Assert.Contains("Shell script has no web interface", plainAnswer["body"]!["why"]!.ToString());

        // The job wrote the port it picked; until then the answer is a 409 to try again.
        string? link = null;
        await Stack.WaitFor("the job's port", async () => (await OpenAsync(alice, web)) is { Status: 200, Link: { } l } && (link = l) is not null, TimeSpan.FromSeconds(30));
        var folder = $"/home/{alice.LocalName}/ucloud-jobs/{web}";
        var port = int.Parse(File.ReadAllText(Path.Combine(folder, "allocated-port.txt")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(port, 20000, 59999);
        Assert.Contains("\nUCLOUD_PORT=\n", File.ReadAllText(Path.Combine(folder, "job.sbatch")));

        using var browser = AppBrowser();
        var authorized = await browser.GetAsync(link!, ct);
        Assert.Equal(HttpStatusCode.Redirect, authorized.StatusCode);
        var cookie = authorized.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var host = $"app-{web}-0.{TestCertificates.AppsDomain}";
        // The server answers once Python listens; the parameter reached the job as text, never as shell syntax.
        HttpResponseMessage? served = null;
        await Stack.WaitFor("the application to answer", async () => (served = await GetAsync(browser, host, "/note.txt", cookie, ct)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.Equal(note + "\n", await served!.Content.ReadAsStringAsync(ct));
        var listing = await (await GetAsync(browser, host, "/", cookie, ct)).Content.ReadAsStringAsync(ct);
        Assert.Contains("job.sbatch", listing);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(browser, host, "/note.txt", null, ct)).StatusCode);
    }

    [Fact]
    public async Task A_jobs_vnc_server_is_a_websocket_on_the_providers_address_with_its_own_session_and_password()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var websockify = await StartWebsockifyAsync(ct);
        var port = new Uri(websockify.Urls.First()).Port;
        var alice = await stack.CreateUserAsync();
        await using var jobs = Stack.CancelJobsAtEnd(alice);
        var bob = await stack.CreateUserAsync();
        var (a, b) = await TwoRunningJobsAsync(alice, "vnc-shell", port);
        var shell = (await stack.StartJobAsync(alice, "sleep 300"))["jobId"]!.ToString();

        Assert.Equal(404, (await OpenAsync(bob, a, "VNC")).Status);
        var notVnc = await OpenAsync(alice, shell, "VNC");
        Assert.Equal(400, notVnc.Status);
        Assert.Contains("Shell script has no VNC interface", notVnc.Body!["why"]!.ToString());

        var sessionA = (await OpenAsync(alice, a, "VNC")).Body!["responses"]![0]!["session"]!;
        var sessionB = (await OpenAsync(alice, b, "VNC")).Body!["responses"]![0]!["session"]!;
        Assert.Equal("vnc", sessionA["type"]!.ToString());
        var urlA = new Uri(sessionA["url"]!.ToString());
        var urlB = new Uri(sessionB["url"]!.ToString());
        var publicWs = (stack.ProviderUrl.Scheme == "https" ? "wss://" : "ws://") + stack.ProviderUrl.Authority;
        Assert.StartsWith($"{publicWs}/ucloud/{Stack.ProviderId}/vnc/vnc-{a}-0?token=", urlA.ToString());
        // The job's own password: fresh per job, from the job folder, readable by alice alone.
        var passwordFile = $"/home/{alice.LocalName}/ucloud-jobs/{a}/vnc-password.txt";
        Assert.Equal(File.ReadAllText(passwordFile).Trim(), sessionA["password"]!.ToString());
        Assert.Matches("^[A-Za-z0-9]{8}$", sessionA["password"]!.ToString());
        Assert.NotEqual(sessionA["password"]!.ToString(), sessionB["password"]!.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));

        // noVNC's connection: websockify's path, without the token, cookies or identity headers.
        using (var ws = await ConnectAsync(urlA, ct))
        {
            var seen = JsonNode.Parse(await ReceiveAsync(ws, ct))!;
            Assert.Equal("/websockify", seen["path"]!.ToString());
            Assert.Equal("", seen["cookie"]!.ToString());
            Assert.Equal("", seen["ucloudUsername"]!.ToString());
            await ws.SendAsync("RFB 003.008\n"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Binary, true, ct);
            Assert.Equal("RFB 003.008\n", await ReceiveAsync(ws, ct));
        }

        // Without the token, with a made-up one, or with another job's: refused before the node is reached.
        var bare = new Uri(urlA.GetLeftPart(UriPartial.Path));
        var otherJobs = new Uri(urlA.GetLeftPart(UriPartial.Path) + urlB.Query);
        foreach (var refused in new[] { bare, new Uri(bare + "?token=made-up"), otherJobs })
            await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() => ConnectAsync(refused, ct));
        // A plain GET is not a VNC session.
        Assert.Equal(HttpStatusCode.BadRequest, (await stack.Browser.GetAsync(new UriBuilder(urlA) { Scheme = stack.ProviderUrl.Scheme, Port = urlA.Port }.Uri, ct)).StatusCode);

        // Once the job has ended, its URL leads nowhere.
        var cancel = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(alice.UcloudName)}/jobs/{a}/cancel", null, ct);
        Assert.Contains("\"status\":200", await cancel.Content.ReadAsStringAsync(ct));
        await Stack.WaitFor("the ended job's VNC URL to be refused", async () =>
        {
            try
            {
                using var late = await ConnectAsync(urlA, ct);
                return false;
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(30));
    }

    private async Task RunningAsync(TestUser user, params string[] jobIds)
    {
        foreach (var id in jobIds)
            await Stack.WaitFor($"job {id} to run", async () => (await stack.JobAsync(user, id))["state"]!.ToString() == "RUNNING", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Two running jobs of the application whose script says the test upstream's port is theirs, each past the point
    /// where its script has written that port: RUNNING comes a moment before the script's first line, and an open in
    /// that moment gets 409 ("has not said which port it listens on yet"), as a user's early click would.
    /// </summary>
    private async Task<(string A, string B)> TwoRunningJobsAsync(TestUser user, string application, int port)
    {
        var script = new JsonObject { ["script"] = $"echo {port} > allocated-port.txt; sleep 300" };
        var a = (await stack.StartApplicationAsync(user, application, (JsonObject)script.DeepClone()))["jobId"]!.ToString();
        var b = (await stack.StartApplicationAsync(user, application, (JsonObject)script.DeepClone()))["jobId"]!.ToString();
        var type = application.StartsWith("vnc", StringComparison.Ordinal) ? "VNC" : "WEB";
        await RunningAsync(user, a, b);
        foreach (var id in new[] { a, b })
        {
            await Stack.WaitFor($"job {id} to say its port", async () => (await OpenAsync(user, id, type)).Status switch
            {
                200 => true,
                409 => false,
                var other => throw new Xunit.Sdk.XunitException($"opening job {id} answered {other}"),
            }, TimeSpan.FromSeconds(30));
        }
        return (a, b);
    }

    private async Task<System.Net.WebSockets.ClientWebSocket> ConnectAsync(Uri url, CancellationToken ct)
    {
        var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.SetRequestHeader("Cookie", "theirs=1");
        ws.Options.SetRequestHeader("ucloud-username", "Zm9yZ2Vk");
        try
        {
            await ws.ConnectAsync(url, stack.Invoker, ct);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    private static async Task<string> ReceiveAsync(System.Net.WebSockets.WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[4096];
        var result = await ws.ReceiveAsync(buffer, ct);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>The job's "websockify": says what reached it, then echoes.</summary>
    private static async Task<WebApplication> StartWebsockifyAsync(CancellationToken ct)
    {
        return await StartJobServerAsync(app => app.UseWebSockets().Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }
            using var ws = await context.WebSockets.AcceptWebSocketAsync();
            await ws.SendAsync(System.Text.Encoding.UTF8.GetBytes(WhatReached(context)), System.Net.WebSockets.WebSocketMessageType.Text, true, ct);
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var r = await ws.ReceiveAsync(buffer, ct);
                    if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) break;
                    await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct);
                }
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                // The tests cut sessions on purpose (a refused or expired one): the end of the echo, not an error.
            }
        }), ct);
    }

    private async Task<(int Status, string? Link)> OpenAsync(TestUser user, string jobId)
    {
        var (status, body) = await OpenAsync(user, jobId, "WEB");
        return (status, body?["responses"]?[0]?["session"]?["redirectClientTo"]?.ToString());
    }

    private async Task<(int Status, JsonNode? Body)> OpenAsync(TestUser user, string jobId, string type)
    {
        var response = await stack.Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs/{jobId}/open?type={type}", null);
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (node["status"]!.GetValue<int>(), node["body"]);
    }

    private async Task<HttpResponseMessage> GetAsync(HttpClient browser, string host, string path, string? cookie, CancellationToken ct, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{host}:{stack.AppsPort}{path}");
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        request.Headers.Add("ucloud-username", "Zm9yZ2Vk");
        return await browser.SendAsync(request, ct);
    }

    /// <summary>GET /hello for an app host over plain HTTP on a loopback port, claiming to have come over HTTPS.</summary>
    private static async Task<HttpResponseMessage> PlainGetAsync(int port, string host, string cookie, CancellationToken ct)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/hello");
        request.Headers.Host = host;
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add("X-Forwarded-Proto", "https");
        var response = await client.SendAsync(request, ct);
        await response.Content.LoadIntoBufferAsync(ct);
        return response;
    }

    /// <summary>A browser without a cookie jar that resolves every app domain to this machine, as wildcard DNS would.</summary>
    private HttpClient AppBrowser()
    {
        var handler = stack.Tls.CreateHandler();
        handler.ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The job's "web interface": echoes what reached it.</summary>
    private static async Task<WebApplication> StartUpstreamAsync(CancellationToken ct, int port = 0)
    {
        return await StartJobServerAsync(app => app.Run(context => context.Response.WriteAsync(WhatReached(context), ct)), ct, port);
    }

    /// <summary>What a job's server reports back: the path, and whether any cookie or identity header got through.</summary>
    private static string WhatReached(HttpContext context) => new JsonObject
    {
        ["path"] = context.Request.Path + context.Request.QueryString,
        ["cookie"] = context.Request.Headers.Cookie.ToString(),
        ["ucloudUsername"] = context.Request.Headers["ucloud-username"].ToString(),
    }.ToJsonString();

    /// <summary>A server standing in for a job's, on every address as a compute node's would be; it logs
    /// only warnings and errors, so that the test log holds what went wrong, not every request.</summary>
    private static async Task<WebApplication> StartJobServerAsync(Action<WebApplication> serve, CancellationToken ct, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        serve(app);
        await app.StartAsync(ct);
        return app;
    }
}
