using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using UcloudIm.Hosting;
using UcloudIm.Sandbox.Core;
using UcloudIm.Sandbox.EndUser;
using UcloudIm.Sandbox.Provider;
using UcloudIm.Sandbox.Relay;

namespace UcloudIm.Sandbox;

/// <summary>`ucloud-sandbox init | serve | drive add | browse | retrieve | calls`.</summary>
internal static class SandboxCommands
{
    private static readonly Option<string> StateDir = new("--state-dir")
    {
        Description = "Where the sandbox keeps Core's key for the provider, its refresh token and drives",
        DefaultValueFactory = _ => "/var/lib/ucloud-sandbox",
    };

    private static readonly Option<string> Url = new("--sandbox")
    {
        Description = "The running sandbox's address",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("UCLOUD_SANDBOX_URL") ?? "http://127.0.0.1:8800",
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print the raw answer" };

    public static RootCommand Build()
    {
        var root = new RootCommand("A local stand-in for UCloud/Core: issues the provider's tokens, serves Core's API, and acts as end-users.");
        root.Options.Add(StateDir);
        root.Subcommands.Add(Init());
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(DriveAdd());
        root.Subcommands.Add(TokenCommand());
        root.Subcommands.Add(Browse());
        root.Subcommands.Add(FileCommand("retrieve", "files/retrieve", "Stat one file as an end-user"));
        root.Subcommands.Add(FileCommand("mkdir", "files/folder", "Make a folder as an end-user"));
        root.Subcommands.Add(FileCommand("trash", "files/trash", "Move a file or folder to its drive's Trash as an end-user"));
        root.Subcommands.Add(FileCommand("empty-trash", "files/emptyTrash", "Empty a drive's Trash folder as an end-user (a background task): empty-trash alice /home-alice/Trash"));
        root.Subcommands.Add(Move());
        root.Subcommands.Add(Move("cp", "files/copy", "Copy as an end-user (large copies become background tasks; see `tasks`)"));
        root.Subcommands.Add(Tasks());
        root.Subcommands.Add(Search());
        foreach (var c in JobCommands.Build(User, Url)) root.Subcommands.Add(c);
        root.Subcommands.Add(Download());
        root.Subcommands.Add(Upload());
        root.Subcommands.Add(TerminalCommand.Build(User, Url));
        root.Subcommands.Add(SshKeys());
        return root;
    }

    private static Command Init()
    {
        var provider = new Option<string>("--provider-id") { Required = true, Description = "The provider's id, as in the IM's config.yml" };
        var imConfig = new Option<string>("--im-config-dir") { Required = true, Description = "The IM's config dir, where ucloud_key.pub is written" };
        var cmd = new Command("init", "Make Core's key pair and the provider's refresh token (kept if present)") { provider, imConfig };
        cmd.SetAction(p =>
        {
            var state = SandboxState.Init(p.GetValue(StateDir)!, p.GetValue(provider)!, p.GetValue(imConfig)!);
            Console.WriteLine($"sandbox state in {state.Directory}; public key written to {Path.Combine(p.GetValue(imConfig)!, "ucloud_key.pub")}");
            Console.WriteLine($"the provider's refresh token is in {Path.Combine(state.Directory, "refresh-token")} (put it in server.yml)");
            return 0;
        });
        return cmd;
    }

    private static Command Serve()
    {
        var listen = new Option<string>("--listen") { DefaultValueFactory = _ => "127.0.0.1:8800", Description = "address:port (an IP, or localhost) to serve Core's API on" };
        var providerUrl = new Option<string>("--provider-url") { Required = true, Description = "The provider's gateway, e.g. http://127.0.0.1:8889" };
        var relay = new Option<bool>("--relay") { Description = "Also be the proxy-mode relay: the provider's gateway dials /relay/tunnel and /ucloud/… is sent through it" };
        var providerCa = new Option<string?>("--provider-ca") { Description = "A PEM CA certificate to trust for the provider's HTTPS (a test or private CA)" };
        var relayApps = new Option<string?>("--relay-apps-domain") { Description = "With --relay: requests for <name>.DOMAIN (the provider's gateway.apps.domain) go through the tunnel as well" };
        var tlsListen = new Option<string?>("--tls-listen") { Description = "address:port to serve the same over HTTPS as well (a relay reached with wss://, as UCloud's is)" };
        var tlsCertificate = new Option<string?>("--tls-certificate") { Description = "PEM certificate (chain) for --tls-listen" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for --tls-listen" };
        var cmd = new Command("serve", "Run the sandbox Core") { listen, providerUrl, relay, relayApps, providerCa, tlsListen, tlsCertificate, tlsKey };
        cmd.Validators.Add(r =>
        {
            var given = new[] { r.GetValue(tlsListen), r.GetValue(tlsCertificate), r.GetValue(tlsKey) }.Count(v => v is not null);
            if (given is not (0 or 3)) r.AddError("--tls-listen, --tls-certificate and --tls-key go together");
            if (r.GetValue(relayApps) is { } domain)
            {
                if (!r.GetValue(relay)) r.AddError("--relay-apps-domain needs --relay");
                else if (Uri.CheckHostName(domain.Trim('.')) != UriHostNameType.Dns || !domain.Trim('.').Contains('.'))
                    r.AddError($"--relay-apps-domain '{domain}' is not a DNS name with at least two labels");
            }
        });
        cmd.SetAction(async (p, ct) =>
        {
            var state = SandboxState.Load(p.GetValue(StateDir)!);
            var builder = WebApplication.CreateSlimBuilder(ImHostDefaults.Options());
            builder.Logging.QuietFrameworkLogs();
            builder.Services.AddSingleton(state);
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<TokenIssuer>();
            builder.Services.AddSingleton<CallLog>();
            builder.Services.AddSingleton<TaskBoard>();
            builder.Services.AddSingleton<JobBoard>();
            builder.Services.AddSingleton(sp => new StreamCaller(sp.GetRequiredService<TokenIssuer>(), sp.GetRequiredService<ProviderCaller>(), new Uri(p.GetValue(providerUrl)!), sp.GetRequiredService<ProviderTls>()));
            var tls = new ProviderTls(p.GetValue(providerCa));
            builder.Services.AddSingleton(tls);
            builder.Services.AddHttpClient<ProviderCaller>(c =>
            {
                c.BaseAddress = new Uri(p.GetValue(providerUrl)!);
                c.Timeout = TimeSpan.FromSeconds(30);
            }).ConfigurePrimaryHttpMessageHandler(tls.CreateHandler);
            if (p.GetValue(relay)) builder.Services.AddRelay();
            if (!TryParseEndpoint(p.GetValue(listen)!, out var plain))
            {
                await Console.Error.WriteLineAsync($"ucloud-sandbox: --listen '{p.GetValue(listen)}' is not address:port");
                return 2;
            }
            IPEndPoint? https = null;
            X509Certificate2? certificate = null;
            if (p.GetValue(tlsListen) is { } tlsAt)
            {
                if (!TryParseEndpoint(tlsAt, out https))
                {
                    await Console.Error.WriteLineAsync($"ucloud-sandbox: --tls-listen '{tlsAt}' is not address:port");
                    return 2;
                }
                try
                {
                    certificate = X509Certificate2.CreateFromPemFile(p.GetValue(tlsCertificate)!, p.GetValue(tlsKey)!);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    await Console.Error.WriteLineAsync($"ucloud-sandbox: cannot load --tls-certificate/--tls-key: {e.Message}");
                    return 2;
                }
            }
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(plain);
                if (https is not null) k.Listen(https, lo => lo.UseHttps(certificate!));
            });
            var app = builder.Build();
            app.UseWireErrors();
            app.UseWebSockets();
            if (p.GetValue(relayApps) is { } appsDomain) app.UseRelayApps(appsDomain);
            if (p.GetValue(relay)) app.MapRelay();
            app.MapCoreEndpoints();
            app.MapCoreTaskEndpoints();
            app.MapEndUserEndpoints();
            await app.RunAsync(ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>address:port, where the address is an IP or <c>localhost</c> (127.0.0.1).</summary>
    private static bool TryParseEndpoint(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)) text = "127.0.0.1" + text["localhost".Length..];
        return IPEndPoint.TryParse(text, out endpoint) && endpoint.Port != 0;
    }

    private static Command TokenCommand()
    {
        var cmd = new Command("token", "Print a service token as Core would send it (10 minutes), to call the gateway by hand");
        cmd.SetAction(p =>
        {
            Console.WriteLine(new TokenIssuer(SandboxState.Load(p.GetValue(StateDir)!), TimeProvider.System).ServiceToken());
            return 0;
        });
        return cmd;
    }

    private static Command DriveAdd()
    {
        var id = new Argument<string>("id") { Description = "The drive's id, the first component of its UCloud paths" };
        var path = new Argument<string>("local-path") { Description = "The folder on the provider" };
        var owner = new Option<string>("--owner") { Required = true, Description = "The UCloud user who owns it" };
        var title = new Option<string>("--title") { DefaultValueFactory = _ => "Home" };
        var add = new Command("add", "Tell the sandbox's Core about a drive") { id, path, owner, title };
        add.SetAction(p =>
        {
            SandboxState.Load(p.GetValue(StateDir)!).AddDrive(new SandboxDrive(p.GetValue(id)!, p.GetValue(title)!, p.GetValue(owner)!, p.GetValue(path)!));
            return 0;
        });
        var user = new Argument<string>("user") { Description = "The UCloud user whose drives to list" };
        var project = new Option<string?>("--project") { Description = "List this UCloud project's drives instead (its id)" };
        var ls = new Command("ls", "The drives a user has (registered by the provider, or added here)") { user, Url, project };
        ls.SetAction(async (p, ct) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!) };
            var query = p.GetValue(project) is { } id ? $"?project={Uri.EscapeDataString(id)}" : "";
            var drives = JsonNode.Parse(await http.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/drives{query}", ct))!.AsArray();
            var table = new Table().AddColumns("id", "title", "category", "local path");
            foreach (var d in drives)
                table.AddRow(Markup.Escape(d!["id"]!.GetValue<string>()), Markup.Escape(d["title"]!.GetValue<string>()),
                    Markup.Escape(d["category"]!.GetValue<string>()), Markup.Escape(d["localPath"]!.GetValue<string>()));
            AnsiConsole.Write(table);
            return 0;
        });
        return new Command("drive", "Drives the sandbox's Core knows") { add, ls };
    }

    private static readonly Argument<string> User = new("user") { Description = "The UCloud user to act as" };
    private static readonly Option<string> Policy = new("--conflict") { Description = "RENAME, REJECT, REPLACE or MERGE_RENAME", DefaultValueFactory = _ => "REJECT" };

    private static Command FileCommand(string name, string operation, string description)
    {
        var path = new Argument<string>("path") { Description = "The UCloud path, /<drive>/…" };
        var cmd = new Command(name, description) { User, path, Url, Json, Policy };
        cmd.SetAction((p, ct) => CallAsync(p, operation, new JsonObject { ["path"] = p.GetValue(path), ["conflictPolicy"] = p.GetValue(Policy) }, ct));
        return cmd;
    }

    private static Command Browse()
    {
        var path = new Argument<string>("path") { Description = "The UCloud path, /<drive>/…" };
        var size = new Option<int?>("--page-size") { Description = "Items per page (at most 1000)" };
        var sort = new Option<string?>("--sort") { Description = "PATH, SIZE or MODIFIED_AT" };
        var desc = new Option<bool>("--descending");
        var next = new Option<string?>("--next") { Description = "The cursor a previous page printed" };
        var cmd = new Command("browse", "List a folder as an end-user: browse alice /home-alice") { User, path, Url, Json, size, sort, desc, next };
        cmd.SetAction((p, ct) => CallAsync(p, "files/browse", new JsonObject
        {
            ["path"] = p.GetValue(path), ["itemsPerPage"] = p.GetValue(size), ["next"] = p.GetValue(next),
            ["sortBy"] = p.GetValue(sort), ["sortDirection"] = p.GetValue(desc) ? "DESCENDING" : "ASCENDING",
        }, ct));
        return cmd;
    }

    private static Command Move(string name = "mv", string operation = "files/move", string description = "Move or rename as an end-user")
    {
        var from = new Argument<string>("from") { Description = "The UCloud path" };
        var to = new Argument<string>("to") { Description = "The new UCloud path" };
        var cmd = new Command(name, description) { User, from, to, Url, Json, Policy };
        cmd.SetAction((p, ct) => CallAsync(p, operation, new JsonObject { ["from"] = p.GetValue(from), ["to"] = p.GetValue(to), ["conflictPolicy"] = p.GetValue(Policy) }, ct));
        return cmd;
    }

    private static Command Search()
    {
        var folder = new Argument<string>("folder") { Description = "Where to search from: /<drive>/…" };
        var query = new Argument<string>("query") { Description = "Text the names contain (any case)" };
        var cmd = new Command("search", "Search file names below a folder as an end-user (the provider streams the results)") { User, folder, query, Url };
        cmd.SetAction(async (p, ct) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!), Timeout = TimeSpan.FromMinutes(5) };
            var response = await http.PostAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(User)!)}/files/search",
                new StringContent(new JsonObject { ["path"] = p.GetValue(folder), ["query"] = p.GetValue(query) }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            if (answer["status"]?.GetValue<int>() != 200)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error {answer["status"]}[/]: {answer["why"]}");
                return 1;
            }
            foreach (var f in answer["files"]!.AsArray()) Console.WriteLine(f!.ToString());
            AnsiConsole.MarkupLineInterpolated($"[grey]{answer["files"]!.AsArray().Count} found in {answer["batches"]} batch(es)[/]");
            return 0;
        });
        return cmd;
    }

    private static Command Tasks()
    {
        var cmd = new Command("tasks", "A user's background tasks, as Core shows them") { User, Url };
        cmd.SetAction(async (p, ct) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!) };
            var tasks = JsonNode.Parse(await http.GetStringAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(User)!)}/tasks", ct))!.AsArray();
            var table = new Table().AddColumns("id", "title", "state", "%", "progress");
            foreach (var t in tasks)
                table.AddRow(Markup.Escape(t!["taskId"]!.ToString()), Markup.Escape(t["title"]!.ToString()), Markup.Escape(t["state"]!.ToString()),
                    Markup.Escape(t["progressPercentage"]?.ToString() ?? ""), Markup.Escape(t["progress"]?.ToString() ?? ""));
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    private static Command Download()
    {
        var path = new Argument<string>("path") { Description = "The UCloud path of the file, or of a folder (which comes as a .tar)" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to save it (default: its own name, here)" };
        var cmd = new Command("download", "Ask Core for a download link as an end-user, then fetch it as their browser would") { User, path, Url, output };
        cmd.SetAction(async (p, ct) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!), Timeout = TimeSpan.FromMinutes(30) };
            var response = await http.PostAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(User)!)}/files/download",
                new StringContent(new JsonObject { ["path"] = p.GetValue(path) }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            if (answer["status"]?.GetValue<int>() != 200) return Print(answer);
            var endpoint = answer["body"]!["responses"]![0]!["endpoint"]!.GetValue<string>();
            using var file = await http.GetAsync(endpoint, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!file.IsSuccessStatusCode)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error {(int)file.StatusCode}[/]: {await file.Content.ReadAsStringAsync(ct)}");
                return 1;
            }
            var name = p.GetValue(output) ?? Path.GetFileName(file.Content.Headers.ContentDisposition?.FileNameStar ?? p.GetValue(path)!);
            await using (var target = File.Create(name)) await file.Content.CopyToAsync(target, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]saved[/] {name} ({new FileInfo(name).Length} bytes)");
            return 0;
        });
        return cmd;
    }

    private static Command Upload()
    {
        var local = new Argument<string>("local") { Description = "The file or folder to upload" };
        var target = new Argument<string>("target") { Description = "Its UCloud path: /<drive>/…/name (a folder is uploaded as that folder)" };
        var sockets = new Option<int>("--sockets") { Description = "Parallel WebSockets", DefaultValueFactory = _ => 4 };
        var chunk = new Option<int>("--chunk-kib") { Description = "Chunk size in KiB", DefaultValueFactory = _ => 1024 };
        var policy = new Option<string>("--conflict") { Description = "RENAME, REJECT, REPLACE or MERGE_RENAME", DefaultValueFactory = _ => "RENAME" };
        var ca = new Option<string?>("--provider-ca") { Description = "A PEM CA certificate to trust for the provider's HTTPS (a private or test CA)" };
        var http1 = new Option<bool>("--http1") { Description = "Open the sockets over HTTP/1.1 only, as Safari and scripts do (by default HTTP/2 where offered, as Chrome and Firefox)" };
        var cmd = new Command("upload", "Upload a file or folder as an end-user, over WEBSOCKET_V2 with parallel sockets; resumes after a dropped connection")
            { User, local, target, Url, sockets, chunk, policy, ca, http1 };
        cmd.SetAction(async (p, ct) =>
        {
            var files = UploadClient.Collect(p.GetValue(local)!);
            var folder = Directory.Exists(p.GetValue(local)!);
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!), Timeout = TimeSpan.FromSeconds(60) };
            var response = await http.PostAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(User)!)}/files/upload",
                new StringContent(new JsonObject { ["path"] = p.GetValue(target), ["type"] = folder ? "FOLDER" : "FILE", ["conflictPolicy"] = p.GetValue(policy) }.ToJsonString(),
                    System.Text.Encoding.UTF8, "application/json"), ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            if (answer["status"]?.GetValue<int>() != 200) return Print(answer);
            var endpoint = new Uri(answer["body"]!["responses"]![0]!["endpoint"]!.GetValue<string>());
            using var invoker = new ProviderTls(p.GetValue(ca)).CreateInvoker();
            var client = new UploadClient(endpoint, p.GetValue(sockets), p.GetValue(chunk) * 1024)
            {
                Progress = line => AnsiConsole.MarkupLineInterpolated($"[yellow]{line}[/]"),
                Invoker = invoker,
                Http1 = p.GetValue(http1),
            };
            var watch = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var report = await client.UploadAsync(files, ct);
                var mib = report.BytesSent / 1048576.0;
                AnsiConsole.MarkupLineInterpolated(
                    $"[green]uploaded[/] {report.Files} file(s): {report.Sent} sent, {report.Skipped} already there; {mib:0.0} MiB in {watch.Elapsed.TotalSeconds:0.00} s ({mib / watch.Elapsed.TotalSeconds:0.0} MiB/s), {report.Reconnects} reconnect(s), over {(report.OverHttp2 ? "HTTP/2" : "HTTP/1.1")}");
                return 0;
            }
            catch (Exception e) when (e is UploadRefusedException or System.Net.WebSockets.WebSocketException or IOException or TimeoutException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]upload failed[/]: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static async Task<int> CallAsync(ParseResult p, string operation, JsonObject body, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!), Timeout = TimeSpan.FromSeconds(60) };
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(User)!)}/{operation}",
                new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"the sandbox at {http.BaseAddress} cannot be reached: {e.Message}");
            return 3;
        }
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        if (p.GetValue(Json))
        {
            Console.WriteLine(answer.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return answer["status"]?.GetValue<int>() == 200 ? 0 : 1;
        }
        return Print(answer);
    }

    private static Command SshKeys()
    {
        var files = new Argument<string[]>("public-key-files") { Arity = ArgumentArity.ZeroOrMore, Description = "Public key files (.pub); none removes them all" };
        var cmd = new Command("ssh-keys", "Set a user's SSH keys as they would in UCloud (all of them each time, as Core sends them): ssh-keys alice ~/.ssh/id_ed25519.pub")
            { User, files, Url };
        cmd.SetAction(async (p, ct) =>
        {
            var keys = new JsonArray();
            foreach (var file in p.GetValue(files) ?? [])
                keys.Add(new JsonObject { ["title"] = Path.GetFileName(file), ["key"] = (await File.ReadAllTextAsync(file, ct)).Trim() });
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(Url)!) };
            var response = await http.PostAsync($"/sandbox/users/{Uri.EscapeDataString(p.GetValue(User)!)}/ssh-keys",
                new StringContent(new JsonObject { ["keys"] = keys }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            if (answer["status"]?.GetValue<int>() != 200) return Print(answer);
            AnsiConsole.MarkupLineInterpolated($"[green]done[/]: {keys.Count} key(s) installed for {p.GetValue(User)}");
            return 0;
        });
        return cmd;
    }

    private static int Print(JsonNode answer)
    {
        var status = answer["status"]?.GetValue<int>() ?? 0;
        var body = answer["body"];
        if (status != 200)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error {status}[/]: {body?["why"]?.GetValue<string>() ?? body?.ToJsonString() ?? answer.ToJsonString()}");
            return 1;
        }
        if (body?["responses"] is JsonArray done)
        {
            var background = done.Where(d => d?["type"]?.ToString() == "continues_in_background").Select(d => d!["taskId"]?.ToString()).ToList();
            AnsiConsole.MarkupLineInterpolated($"[green]done[/] ({done.Count} item(s))");
            if (background.Count > 0) AnsiConsole.MarkupLineInterpolated($"continues in the background as task(s) {string.Join(", ", background)} (see `ucloud-sandbox tasks`)");
            return 0;
        }
        var items = body?["items"]?.AsArray() ?? (body is JsonObject ? [body.DeepClone()] : []);
        var table = new Table().AddColumns("name", "type", "size", "modified", "mode", "uid");
        foreach (var f in items)
        {
            var s = f!["status"]!;
            table.AddRow(
                Markup.Escape(Path.GetFileName(f["id"]!.GetValue<string>())),
                s["type"]!.GetValue<string>(),
                s["sizeInBytes"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(s["modifiedAt"]!.GetValue<long>()).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToString(s["unixMode"]!.GetValue<int>(), 8),
                s["unixOwner"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{items.Count} entries; {answer["attempts"]} call(s) to the provider, {answer["inits"]} init(s)[/]");
        if (body?["next"]?.GetValue<string>() is { } cursor) AnsiConsole.MarkupLineInterpolated($"[grey]more: --next {cursor}[/]");
        return 0;
    }
}
