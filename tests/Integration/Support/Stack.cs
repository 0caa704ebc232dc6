using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using UcloudIm.Contracts;
using UcloudIm.Hosting;

namespace UcloudIm.Tests.Integration.Support;

/// <summary>How the tests reach the provider: the matrix every flow runs in (UCIM_NETWORK_MODE).</summary>
public enum NetworkMode { Direct, Proxy }

/// <summary>
/// The whole system on this machine, from the installed binaries: two sandbox Cores, the server (as
/// ucloud), a gateway that answers 449 and one that holds the first request (both as ucloud-gw), with a
/// short idle timeout and group check so that reaping and restarts can be seen in seconds.
/// In direct mode the gateways serve HTTPS with a throwaway CA's certificate (and redirect plain HTTP);
/// in proxy mode each sandbox is also the relay, and its gateway dials out to it: every call then goes
/// sandbox → relay → tunnel → gateway. The tests are the same in both.
/// </summary>
public sealed class Stack : IAsyncLifetime
{
    public static NetworkMode Mode { get; } =
        Environment.GetEnvironmentVariable("UCIM_NETWORK_MODE")?.ToLowerInvariant() == "proxy" ? NetworkMode.Proxy : NetworkMode.Direct;

    public const string ProviderId = "ittest";
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromSeconds(8);
    public static string Prefix => Environment.GetEnvironmentVariable("UCLOUD_IM_PREFIX") ?? "/opt/ucloud-im";

    private readonly string _id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly List<Daemon> _daemons = [];
    private readonly List<string> _users = [];
    private readonly List<string> _groups = [];
    private int _userCount;

    public string Root { get; private set; } = "";
    public string ConfigDir => Path.Combine(Root, "etc");
    public string HoldConfigDir => Path.Combine(Root, "etc-hold");
    public string SandboxState => Path.Combine(Root, "sandbox");
    public string IpcDir => $"/run/ucim-it-{_id}";
    public string LogDir => Path.Combine(Root, "log");
    public int GatewayPort { get; private set; }
    public int HoldGatewayPort { get; private set; }
    public int TlsPort { get; private set; }
    public int HoldTlsPort { get; private set; }
    public int RedirectPort { get; private set; }
    public TestCertificates Certificates { get; } = new();
    public string CaFile => Path.Combine(Root, "ca.pem");

    /// <summary>Where the Project locator puts project drives: &lt;this&gt;/&lt;group&gt;, made by the tests that need one.</summary>
    public string ProjectsDir => Path.Combine(Root, "projects");
    /// <summary>Trusts the test CA: every client of the provider is made from it.</summary>
    public UcloudIm.Sandbox.Provider.ProviderTls Tls { get; private set; } = null!;
    public HttpMessageInvoker Invoker { get; private set; } = null!;
    /// <summary>A browser: follows the provider's links (downloads) with the test CA trusted.</summary>
    public HttpClient Browser { get; private set; } = null!;
    /// <summary>Where Core and browsers reach the provider: the gateway's HTTPS, or the relay.</summary>
    public Uri ProviderUrl => Mode == NetworkMode.Proxy ? new Uri($"http://127.0.0.1:{SandboxPort}") : new Uri($"https://127.0.0.1:{TlsPort}");
    private Uri HoldProviderUrl => Mode == NetworkMode.Proxy ? new Uri($"http://127.0.0.1:{HoldSandboxPort}") : new Uri($"https://127.0.0.1:{HoldTlsPort}");
    public int SandboxPort { get; private set; }
    public int HoldSandboxPort { get; private set; }
    /// <summary>In proxy mode the gateways dial the relay here, over TLS with the test CA (gateway.proxy.ca), as a real provider dials wss://.</summary>
    public int SandboxTlsPort { get; private set; }
    public int HoldSandboxTlsPort { get; private set; }
    /// <summary>Where browsers reach interactive applications (<c>app-….apps.test</c>): the gateway's HTTPS, or the relay's.</summary>
    public int AppsPort => Mode == NetworkMode.Proxy ? SandboxTlsPort : TlsPort;
    public HttpClient Sandbox { get; private set; } = null!;
    public HttpClient HoldSandbox { get; private set; } = null!;
    public HttpClient Gateway { get; private set; } = null!;
    private HttpClient _server = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Path.Combine(Prefix, "bin/ucloud-im-user")))
            throw new InvalidOperationException($"the module is not installed in {Prefix}; run deploy/install.sh (deploy/test.sh does)");
        Root = Directory.CreateTempSubdirectory("ucim-it-").FullName;
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(ConfigDir);
        Directory.CreateDirectory(HoldConfigDir);
        Directory.CreateDirectory(LogDir);
        Directory.CreateDirectory(IpcDir);
        Directory.CreateDirectory(Path.Combine(Root, "state"));
        await Shell.Ok("chown", "ucloud:ucloud", IpcDir, LogDir, Path.Combine(Root, "state"));
        File.SetUnixFileMode(Path.Combine(Root, "state"), (UnixFileMode)0b111_000_000);

        (GatewayPort, HoldGatewayPort, SandboxPort, HoldSandboxPort) = (FreePort(), FreePort(), FreePort(), FreePort());
        (TlsPort, HoldTlsPort, RedirectPort) = (FreePort(), FreePort(), FreePort());
        (SandboxTlsPort, HoldSandboxTlsPort) = (FreePort(), FreePort());
        _sshLogin.Start();
        _ = GreetAsSshAsync(_sshLogin);
        await Shell.Ok(Path.Combine(Prefix, "sandbox/ucloud-sandbox"), "--state-dir", SandboxState, "init", "--provider-id", ProviderId, "--im-config-dir", ConfigDir);
        File.Copy(Path.Combine(ConfigDir, "ucloud_key.pub"), Path.Combine(HoldConfigDir, "ucloud_key.pub"));
        File.WriteAllText(CaFile, Certificates.CaPem);
        Tls = new UcloudIm.Sandbox.Provider.ProviderTls(CaFile);
        Invoker = Tls.CreateInvoker();
        Browser = new HttpClient(Tls.CreateHandler()) { Timeout = TimeSpan.FromSeconds(60) };
        foreach (var dir in new[] { ConfigDir, HoldConfigDir })
        {
            Directory.CreateDirectory(Path.Combine(dir, "tls"));
            Certificates.WriteLeaf(Path.Combine(dir, "tls/cert.pem"), Path.Combine(dir, "tls/key.pem"));
            File.Copy(Path.Combine(SandboxState, "relay-token"), Path.Combine(dir, "relay-token"));
            await Shell.Ok("chown", "ucloud-gw:ucloud-gw", Path.Combine(dir, "relay-token"));
        }
        Certificates.WriteLeaf(Path.Combine(SandboxState, "relay-cert.pem"), Path.Combine(SandboxState, "relay-key.pem"), "ucloud-im test relay");
        await Shell.Ok("chown", "-R", "ucloud-sandbox:ucloud-sandbox", SandboxState);
        WriteConfig(ConfigDir, GatewayPort, hold: false);
        // The example applications a real installation starts from (deploy/config-example).
        Directory.CreateDirectory(Path.Combine(ConfigDir, "applications"));
        foreach (var app in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "deploy", "config-example", "applications"), "*.yml"))
            File.Copy(app, Path.Combine(ConfigDir, "applications", Path.GetFileName(app)));
        File.WriteAllText(Path.Combine(ConfigDir, "applications", "web-shell.yml"), WebShellApp);
        File.WriteAllText(Path.Combine(ConfigDir, "applications", "vnc-shell.yml"), WebShellApp.Replace("web", "vnc", StringComparison.Ordinal));
        // Every test user gets an association with this account (AccountingStorageEnforce needs one).
        if (!(await Shell.Run("sacctmgr", "-n", "-P", "list", "account", SlurmAccount)).Stdout.Contains(SlurmAccount, StringComparison.Ordinal))
            await Shell.Ok("sacctmgr", "-i", "add", "account", SlurmAccount, "description=ucloud-im tests", "organization=ucloud-im");
        WriteConfig(HoldConfigDir, HoldGatewayPort, hold: true);
        var serverYml = Path.Combine(ConfigDir, "server.yml");
        File.WriteAllText(serverYml, $"refreshToken: {File.ReadAllText(Path.Combine(SandboxState, "refresh-token")).Trim()}\nsqlite:\n  path: {Root}/state/im.sqlite3\n");
        File.SetUnixFileMode(serverYml, (UnixFileMode)0b110_000_000);
        await Shell.Ok("chown", "ucloud:ucloud", serverYml);

        string[] SandboxMode(int tlsPort) => Mode == NetworkMode.Proxy
            ? ["--relay", "--relay-apps-domain", TestCertificates.AppsDomain, "--tls-listen", $"127.0.0.1:{tlsPort}", "--tls-certificate", Path.Combine(SandboxState, "relay-cert.pem"), "--tls-key", Path.Combine(SandboxState, "relay-key.pem")]
            : ["--provider-ca", CaFile];
        Start("sandbox", "ucloud-sandbox", "sandbox/ucloud-sandbox", ["--state-dir", SandboxState, "serve", "--listen", $"127.0.0.1:{SandboxPort}", "--provider-url", ProviderUrl.ToString().TrimEnd('/'), .. SandboxMode(SandboxTlsPort)]);
        Start("sandbox-hold", "ucloud-sandbox", "sandbox/ucloud-sandbox", ["--state-dir", SandboxState, "serve", "--listen", $"127.0.0.1:{HoldSandboxPort}", "--provider-url", HoldProviderUrl.ToString().TrimEnd('/'), .. SandboxMode(HoldSandboxTlsPort)]);
        Start("server", "ucloud", "server/ucloud-im-server", "--config-dir", ConfigDir);
        _server = new HttpClient(UnixSocketHttp.CreateHandler(Path.Combine(IpcDir, "server.sock"))) { BaseAddress = new Uri("http://server") };
        await WaitFor("server", async () => (await _server.GetAsync("/health")).IsSuccessStatusCode);
        Start("gateway", "ucloud-gw", "gateway/ucloud-im-gateway", "--config-dir", ConfigDir);
        Start("gateway-hold", "ucloud-gw", "gateway/ucloud-im-gateway", "--config-dir", HoldConfigDir);
        Sandbox = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{SandboxPort}"), Timeout = TimeSpan.FromSeconds(60) };
        HoldSandbox = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HoldSandboxPort}"), Timeout = TimeSpan.FromSeconds(60) };
        Gateway = new HttpClient(Tls.CreateHandler()) { BaseAddress = ProviderUrl, Timeout = TimeSpan.FromSeconds(60) };
        using var holdGateway = new HttpClient(Tls.CreateHandler()) { BaseAddress = HoldProviderUrl };
        // Through the public way in (HTTPS, or relay and tunnel), not the loopback listener.
        var unknown = $"/ucloud/{ProviderId}/nothing-here";
        await WaitForDaemon("gateway", async () => (await Gateway.GetAsync(unknown)).StatusCode == HttpStatusCode.Unauthorized);
        await WaitForDaemon("gateway-hold", async () => (await holdGateway.GetAsync(unknown)).StatusCode == HttpStatusCode.Unauthorized);
        await WaitForDaemon("sandbox", async () => (await Sandbox.GetAsync("/sandbox/calls")).IsSuccessStatusCode);
        await WaitForDaemon("sandbox-hold", async () => (await HoldSandbox.GetAsync("/sandbox/calls")).IsSuccessStatusCode);
    }

    public const string SlurmAccount = "ucimtest";

    /// <summary>A script with a web interface (and, with "vnc" for "web", one with a VNC interface): the tests' script says which port (of a test upstream) it serves.</summary>
    private const string WebShellApp = """
        name: web-shell
        version: "1"
        title: Shell script with a web interface
        parameters:
          script: { type: text }
        web:
          port: auto
        invocation: |
          bash -c {{ script }}
        """;

    private const string NetworkingStart = "  # networking {";
    private const string NetworkingEnd = "  # } networking";

    /// <summary>The relay's tunnel endpoint, over TLS as a real relay's.</summary>
    public string RelayUrl(bool hold = false) => $"wss://127.0.0.1:{(hold ? HoldSandboxTlsPort : SandboxTlsPort)}/relay/tunnel";

    private string Networking(string dir, bool hold) => Mode == NetworkMode.Proxy
        ? $"""
          {NetworkingStart}
            mode: proxy
            proxy: {"{"} relay: "{RelayUrl(hold)}", ca: {CaFile}, maxBackoff: 2s {"}"}
            apps: {"{"} domain: {TestCertificates.AppsDomain}, sessionLifetime: 8s, publicPort: {(hold ? HoldSandboxTlsPort : SandboxTlsPort)} {"}"}
          {NetworkingEnd}
          """
        : $"""
          {NetworkingStart}
            tls: {"{"} address: 127.0.0.1, port: {(hold ? HoldTlsPort : TlsPort)}, certificate: tls/cert.pem, key: {dir}/tls/key.pem, redirectPort: {(hold ? 0 : RedirectPort)} {"}"}
            apps: {"{"} domain: {TestCertificates.AppsDomain}, sessionLifetime: 8s {"}"}
          {NetworkingEnd}
          """;

    private void WriteConfig(string dir, int gatewayPort, bool hold) => File.WriteAllText(Path.Combine(dir, "config.yml"), $"""
        provider:
          id: {ProviderId}
          hosts:
            ucloud: {"{"} address: 127.0.0.1, port: {SandboxPort}, scheme: http {"}"}
            self: {"{"} address: 127.0.0.1, port: {(hold ? HoldProviderUrl : ProviderUrl).Port}, scheme: {(hold ? HoldProviderUrl : ProviderUrl).Scheme} {"}"}
          ipc:
            directory: {IpcDir}
          logs:
            directory: {LogDir}
        gateway:
          listen: {"{"} address: 127.0.0.1, port: {gatewayPort} {"}"}
          user: ucloud-gw
          holdUntilReady: {(hold ? "true" : "false")}
        {Networking(dir, hold)}
        userInstances:
          executable: {Prefix}/bin/ucloud-im-user
          allowedGroup: ucloud-users
          idleTimeout: {IdleTimeout.TotalSeconds}s
          groupCheckInterval: 1s
          downloadLinkLifetime: {LinkLifetime.TotalSeconds}s
        services:
          type: Slurm
          ssh: {"{"} installKeys: true, host: 127.0.0.1, port: {SshLoginPort} {"}"}
          slurm:
            monitorInterval: 1s
            maxTimeLimit: 2h
            outsideJobsInterval: 2s
            machines:
              standard:
                partition: debug
                products:
                  std-1: {"{"} cpu: 1, memoryInGigs: 1 {"}"}
          fileSystems:
            home:
              driveLocators:
                home: {"{"} entity: User, pattern: "/home/#{"{"}localUsername{"}"}", title: Home, freeQuota: 10 {"}"}
                project: {"{"} entity: Project, pattern: "{ProjectsDir}/#{"{"}localGroupName{"}"}", title: Project files {"}"}
        """);

    private void Start(string name, string user, string exe, params string[] args) =>
        _daemons.Add(Daemon.Start(name, user, Path.Combine(LogDir, name + ".log"), Path.Combine(Prefix, exe), args));

    /// <summary>A gateway of its own, on a config like the stack's with some lines replaced; disposed by the caller.</summary>
    public async Task<(Daemon Gateway, HttpClient Client)> StartGatewayAsync(string name, Func<string, string> editConfig)
    {
        var dir = Path.Combine(Root, "etc-" + name);
        Directory.CreateDirectory(dir);
        var port = FreePort();
        File.Copy(Path.Combine(ConfigDir, "ucloud_key.pub"), Path.Combine(dir, "ucloud_key.pub"), overwrite: true);
        // Its own plain listener only: the stack's gateway holds the HTTPS port and the relay's tunnel.
        var text = File.ReadAllText(Path.Combine(ConfigDir, "config.yml"));
        var start = text.IndexOf(NetworkingStart, StringComparison.Ordinal);
        var end = text.IndexOf(NetworkingEnd, StringComparison.Ordinal) + NetworkingEnd.Length;
        text = text[..start] + text[end..];
        File.WriteAllText(Path.Combine(dir, "config.yml"), editConfig(text.Replace($"port: {GatewayPort} }}", $"port: {port} }}", StringComparison.Ordinal)));
        var daemon = Daemon.Start(name, "ucloud-gw", Path.Combine(LogDir, name + ".log"), Path.Combine(Prefix, "gateway/ucloud-im-gateway"), "--config-dir", dir);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitFor(name, async () => (await client.GetAsync("/")).StatusCode == HttpStatusCode.NotFound);
        return (daemon, client);
    }

    public int ServerPid => _daemons.First(d => d.Name == "server").Pid;

    /// <summary>
    /// The login node (services.ssh.host) the tests' jobs name: a loopback listener that greets as every SSH server
    /// does and hangs up. doctor reads only that greeting; the srun a job's SSH line names, a test runs itself.
    /// </summary>
    private readonly TcpListener _sshLogin = new(IPAddress.Loopback, 0);
    public int SshLoginPort => ((IPEndPoint)_sshLogin.LocalEndpoint).Port;

    private static async Task GreetAsSshAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("SSH-2.0-ucim-test-login\r\n"u8.ToArray());
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or IOException)
        {
            // Stopped with the stack.
        }
    }

    /// <summary>Stops the server (SIGTERM as systemd would, or SIGKILL), runs <paramref name="whileDown"/>, and starts it again.</summary>
    public async Task RestartServerAsync(Func<Task>? whileDown = null, bool kill = false)
    {
        var old = _daemons.First(d => d.Name == "server");
        if (kill) old.Kill();
        await old.DisposeAsync();
        _daemons.Remove(old);
        try
        {
            if (whileDown is not null) await whileDown();
        }
        finally
        {
            // Whatever the check in between found, the next test gets a server.
            Start("server", "ucloud", "server/ucloud-im-server", "--config-dir", ConfigDir);
        }
        await WaitFor("server", async () =>
        {
            try { return (await _server.GetAsync("/health")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        });
    }

    public string DaemonLog(string name) => _daemons.First(d => d.Name == name).Log();

    /// <summary>A real Linux user with a home, mapped to a UCloud user of the given name, with a home drive in the sandbox.</summary>
    public async Task<TestUser> CreateUserAsync(string? ucloudName = null, bool inAllowedGroup = true, bool map = true)
    {
        var name = $"it{_id}{Interlocked.Increment(ref _userCount)}";
        await Shell.Ok("useradd", "--create-home", "--shell", "/bin/bash", name);
        _users.Add(name);
        if (inAllowedGroup) await Shell.Ok("usermod", "-aG", "ucloud-users", name);
        await Shell.Ok("sacctmgr", "-i", "add", "user", name, $"account={SlurmAccount}");
        var user = new TestUser(name, ucloudName ?? name, (await UserDb(name)).Uid, $"home-{name}");
        // Core knows the user's drive whether or not the provider has mapped the user.
        await Shell.As("ucloud-sandbox", Path.Combine(Prefix, "sandbox/ucloud-sandbox"), "--state-dir", SandboxState, "drive", "add", user.Drive, $"/home/{name}", "--owner", user.UcloudName).ThrowIfFailed();
        if (map) await Cli("users", "add", "--ucloud-name", user.UcloudName, "--local-name", name).ThrowIfFailed();
        return user;
    }

    public async Task<string> CreateGroupAsync()
    {
        var g = $"itg{_id}{Interlocked.Increment(ref _userCount)}";
        await Shell.Ok("groupadd", g);
        _groups.Add(g);
        return g;
    }

    private static Task<UcloudIm.Unix.UnixUser> UserDb(string name) =>
        Task.FromResult(UcloudIm.Unix.UserDatabase.FindByName(name) ?? throw new InvalidOperationException($"no user {name}"));

    public Task<CommandResult> Cli(params string[] args) => Shell.Run(Path.Combine(Prefix, "cli/ucloud-im"), ["--config-dir", ConfigDir, .. args]);

    /// <summary>What the end-user sees: the provider's status and body, and how many tries and inits it took.</summary>
    public Task<SandboxAnswer> BrowseAsync(TestUser user, string? path = null, bool hold = false, string operation = "files/browse") =>
        ActAsync(user, operation, new JsonObject { ["path"] = path ?? "/" + user.Drive }, hold);

    /// <summary>An end-user action through the sandbox Core (see the sandbox's EndUserEndpoints for the bodies).</summary>
    public async Task<SandboxAnswer> ActAsync(TestUser user, string operation, JsonObject body, bool hold = true)
    {
        var client = hold ? HoldSandbox : Sandbox;
        var response = await client.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/{operation}",
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return new SandboxAnswer(node["status"]!.GetValue<int>(), node["attempts"]!.GetValue<int>(), node["inits"]!.GetValue<int>(), node["body"]);
    }

    /// <summary>Starts the shell application as an end-user would; the sandbox's answer (status, jobId).</summary>
    public Task<JsonNode> StartJobAsync(TestUser user, string script, int sleep = 0, int minutes = 10, string product = "std-1", string? project = null, bool ssh = false) =>
        StartApplicationAsync(user, "shell", new JsonObject { ["script"] = script, ["sleep"] = sleep.ToString(System.Globalization.CultureInfo.InvariantCulture) }, minutes, product, project, ssh);

    /// <summary>Starts version 1 of an application as an end-user would (in a project, if given); the sandbox's answer (status, jobId).</summary>
    public async Task<JsonNode> StartApplicationAsync(TestUser user, string application, JsonObject parameters, int minutes = 10, string product = "std-1",
        string? project = null, bool ssh = false)
    {
        var response = await Sandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs",
            new StringContent(new JsonObject
            {
                ["application"] = application, ["version"] = "1", ["product"] = product, ["minutes"] = minutes, ["parameters"] = parameters,
                ["project"] = project, ["ssh"] = ssh,
            }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>The checkout the tests run from (where ucloud-im.slnx is).</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ucloud-im.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("the tests run outside the repository: no ucloud-im.slnx above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Cancels the user's jobs when disposed (<c>await using</c>), passed or failed: the test node has 8 CPUs, and
    /// jobs a test left sleeping would hold the next tests' jobs in the queue.
    /// </summary>
    public static IAsyncDisposable CancelJobsAtEnd(TestUser user) => new JobCanceller(user.LocalName);

    private sealed class JobCanceller(string localName) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await Shell.Run("scancel", "-u", localName);
    }

    /// <summary>The job as the sandbox's Core knows it, with every update the provider sent.</summary>
    public async Task<JsonNode> JobAsync(TestUser user, string id) =>
        JsonNode.Parse(await Sandbox.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs"))!
            .AsArray().Single(j => j!["id"]!.ToString() == id)!;

    /// <summary>The job Core made for a Slurm job the user submitted outside UCloud, once the monitor has registered it.</summary>
    public async Task<JsonNode> OutsideJobAsync(TestUser user, string slurmId)
    {
        JsonNode? job = null;
        await WaitFor($"Slurm job {slurmId} to be registered with Core", async () =>
        {
            job = JsonNode.Parse(await Sandbox.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/jobs"))!
                .AsArray().FirstOrDefault(j => j!["providerGeneratedId"]?.ToString() == slurmId);
            return job is not null;
        }, TimeSpan.FromSeconds(30));
        return job!;
    }

    /// <summary>Streaming search through the sandbox (status, why, batches, endOfResults, files).</summary>
    public async Task<JsonNode> SearchAsync(TestUser user, string path, string query)
    {
        var response = await HoldSandbox.PostAsync($"/sandbox/users/{Uri.EscapeDataString(user.UcloudName)}/files/search",
            new StringContent(new JsonObject { ["path"] = path, ["query"] = query }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>files/download through the sandbox: the signed link a browser follows.</summary>
    public async Task<string> DownloadLinkAsync(TestUser user, string path)
    {
        var answer = await ActAsync(user, "files/download", new JsonObject { ["path"] = path });
        if (answer.Status != 200) throw new InvalidOperationException($"files/download answered {answer.Status}: {answer.Why}");
        return answer.Body!["responses"]![0]!["endpoint"]!.GetValue<string>();
    }

    /// <summary>A file in the user's home, owned by the user and readable only by them.</summary>
    public static async Task WriteFileAsync(TestUser user, string name, byte[] data)
    {
        var path = $"/home/{user.LocalName}/{name}";
        await File.WriteAllBytesAsync(path, data);
        await Shell.Ok("chown", $"{user.LocalName}:{user.LocalName}", path);
        await Shell.Ok("chmod", "0600", path);
    }

    public int GatewayPid => _daemons.First(d => d.Name == "gateway").Pid;

    public async Task<ServerStatus> StatusAsync() =>
        (await _server.GetFromJsonAsync("/cli/status", WireJson.Default.ServerStatus))!;

    public async Task<InstanceInfo?> InstanceOf(TestUser user) =>
        (await StatusAsync()).Instances.FirstOrDefault(i => i.UcloudUsername == user.UcloudName);

    public async Task<JsonArray> SandboxCallsAsync() => JsonNode.Parse(await Sandbox.GetStringAsync("/sandbox/calls"))!.AsArray();

    /// <summary>
    /// Until Core reaches the server through the gateway (and, in proxy mode, the tunnel): for a test that counts
    /// Core's calls exactly, after tests that restart the server or cut the tunnel, whose 503s are Core's to retry.
    /// </summary>
    public Task ProviderAnswersAsync(bool hold = false) =>
        WaitFor("the provider to answer Core", async () =>
            JsonNode.Parse(await (hold ? HoldSandbox : Sandbox).GetStringAsync("/sandbox/products"))!["status"]!.GetValue<int>() == 200);

    public string CoreKeyPem => File.ReadAllText(Path.Combine(SandboxState, "core_key.pem"));

    /// <summary>Waits for a daemon of this stack; if it never answers, the failure carries the end of its log.</summary>
    private async Task WaitForDaemon(string name, Func<Task<bool>> condition)
    {
        try
        {
            await WaitFor(name, condition);
        }
        catch (TimeoutException e)
        {
            var log = Path.Combine(LogDir, name + ".log");
            var tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(30)) : "(no log)";
            throw new TimeoutException($"{e.Message}\n--- the end of {log} ---\n{tail}", e);
        }
    }

    public static async Task WaitFor(string what, Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try { if (await condition()) return; }
            catch (Exception e) when (e is HttpRequestException or IOException or SocketException or JsonException) { last = e; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"timed out waiting for {what}{(last is null ? "" : $": {last.Message}")}");
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port nobody listens on now, and never one handed out before in this run: the kernel may give
    /// a just-closed ephemeral port again, and two daemons told the same port would find one of them refused
    /// (a TLS client then meets the plain-HTTP one).
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port)) return port;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _sshLogin.Stop();
        foreach (var d in Enumerable.Reverse(_daemons)) await d.DisposeAsync();
        foreach (var u in _users)
        {
            await Shell.Run("scancel", "-u", u);
            await Shell.Run("sacctmgr", "-i", "delete", "user", u);
            await Shell.Run("userdel", "--remove", u);
        }
        foreach (var g in _groups) await Shell.Run("groupdel", g);
        try { Directory.Delete(IpcDir, recursive: true); } catch (IOException) { }
        if (Environment.GetEnvironmentVariable("UCIM_KEEP_TEST_ROOT") is null) try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        Sandbox?.Dispose();
        HoldSandbox?.Dispose();
        Browser?.Dispose();
        Invoker?.Dispose();
        Certificates.Dispose();
        Gateway?.Dispose();
        _server?.Dispose();
    }
}

public sealed record TestUser(string LocalName, string UcloudName, uint Uid, string Drive);

public sealed record SandboxAnswer(int Status, int Attempts, int Inits, JsonNode? Body)
{
    public IReadOnlyList<string> Names => Body?["items"]?.AsArray().Select(i => Path.GetFileName(i!["id"]!.GetValue<string>())).ToList() ?? [];

    public string Why => Body?["why"]?.GetValue<string>() ?? "";
}

public static class CommandResultExtensions
{
    public static async Task<CommandResult> ThrowIfFailed(this Task<CommandResult> task)
    {
        var r = await task;
        if (!r.Succeeded) throw new InvalidOperationException($"command failed ({r.ExitCode}): {r.Stderr}{r.Stdout}");
        return r;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StackCollection : ICollectionFixture<Stack>
{
    public const string Name = "stack";
}
