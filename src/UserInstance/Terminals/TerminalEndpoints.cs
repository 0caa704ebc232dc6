using System.ComponentModel;
using System.Net.WebSockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;
using UcloudIm.UserInstance.Jobs;
using UcloudIm.UserInstance.Streams;
using UcloudIm.UserInstance.Tasks;

namespace UcloudIm.UserInstance.Terminals;

/// <summary>
/// Terminals, as the user: a login shell on the frontend in a folder (<c>jobs/openTerminalInFolder</c>), or a
/// shell inside a running job on the node of its rank (<c>jobs/interactiveSession</c> with SHELL: a Slurm step,
/// <c>srun --overlap --pty --jobid … --relative=rank</c>). Either call answers with a one-time session identifier;
/// the browser then opens <c>GET /ucloud/&lt;id&gt;/websocket?session=…</c> and speaks UCloud's shell protocol
/// (initialize, input, resize; initialize, data, ack). Closing the socket hangs the shell up.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class TerminalEndpoints
{
    public static readonly TimeSpan InitializeWithin = TimeSpan.FromSeconds(30);

    private const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    public static void MapTerminalEndpoints(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me, ILogger log)
    {
        var prefix = $"/ucloud/{bootstrap.ProviderId}";
        app.MapPost(prefix + "/jobs/openTerminalInFolder", async context =>
        {
            if (!bootstrap.Terminals) throw ImException.BadRequest("Terminals are turned off on this provider");
            var server = context.RequestServices.GetService<ServerChannel>() ?? throw new ImException(503, "Terminals are not available", "UNAVAILABLE");
            var sessions = context.RequestServices.GetRequiredService<TerminalSessions>();
            var answers = new JsonArray();
            foreach (var node in await RequestJson.ItemsAsync(context.Request, context.RequestAborted))
            {
                var folder = RequestJson.Object(node, "A terminal request")["folder"]?.ToString();
                if (string.IsNullOrEmpty(folder)) throw ImException.BadRequest("The terminal needs a folder");
                var local = await Files.FileEndpoints.LocalFolderAsync(server, folder, context.RequestAborted);
                // jobId carries the folder, as UCloud's own providers answer.
                answers.Add((JsonNode)Shell(folder, 0, sessions.Create(new TerminalTarget(local)), bootstrap));
            }
            await context.Response.WriteAsync(new JsonObject { ["responses"] = answers }.ToJsonString(), context.RequestAborted);
        });

        app.MapGet(prefix + "/websocket", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest) throw ImException.BadRequest("This is the terminal endpoint: open it as a WebSocket");
            var sessions = context.RequestServices.GetRequiredService<TerminalSessions>();
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await ServeAsync(socket, sessions, bootstrap, me, log, context.RequestAborted);
        });
    }

    /// <summary>The SHELL answer of jobs/interactiveSession, for a job the server says is the caller's.</summary>
    public static JsonObject OpenInJob(HttpContext context, InstanceBootstrap bootstrap, JobStateView job, int rank, string jobFolder, UnixUser me)
    {
        if (job.State != "RUNNING") throw new ImException(409, $"Job {job.SlurmId} is not running ({job.State}); its terminal opens once it runs", "CONFLICT");
        var sessions = context.RequestServices.GetRequiredService<TerminalSessions>();
        var directory = Directory.Exists(jobFolder) ? jobFolder : me.Home;
        return Shell(job.CoreJobId, rank, sessions.Create(new TerminalTarget(directory, job.SlurmId, rank)), bootstrap);
    }

    /// <summary>
    /// UCloud's OpenSession for a shell. domainOverride is where the browser opens the terminal's WebSocket: the
    /// provider's public address (in proxy mode, the relay's).
    /// </summary>
    private static JsonObject Shell(string jobId, int rank, string sessionIdentifier, InstanceBootstrap bootstrap) => new()
    {
        ["type"] = "shell", ["jobId"] = jobId, ["rank"] = rank, ["sessionIdentifier"] = sessionIdentifier,
        ["domainOverride"] = PublicUrls.WebSocketBase(bootstrap.PublicUrl),
    };

    private static async Task ServeAsync(WebSocket socket, TerminalSessions sessions, InstanceBootstrap bootstrap, UnixUser me, ILogger log, CancellationToken ct)
    {
        string? first;
        using (var init = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            init.CancelAfter(InitializeWithin);
            try
            {
                first = await CoreSocket.ReceiveTextAsync(socket, 64 << 10, init.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, $"no initialize message within {InitializeWithin.TotalSeconds:0} s");
                return;
            }
        }
        JsonObject? envelope = null;
        try { envelope = first is null ? null : JsonNode.Parse(first) as JsonObject; } catch (System.Text.Json.JsonException) { }
        var streamId = envelope?["streamId"]?.ToString() ?? "";
        if (envelope?["payload"] is not JsonObject payload || payload["type"]?.ToString() != "initialize")
        {
            await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, "expected an initialize message first");
            return;
        }
        var target = sessions.Take(payload["sessionIdentifier"]?.ToString() ?? "");
        if (target is null)
        {
            await RefuseAsync(socket, streamId, 403, "This terminal session is unknown, used or expired: open the terminal again");
            return;
        }
        if (!sessions.TryEnter())
        {
            await RefuseAsync(socket, streamId, 429, $"You have {TerminalSessions.MaxLive} terminals open here already; close one first");
            return;
        }
        Pty? pty = null;
        try
        {
            try
            {
                pty = Start(target, bootstrap, me, Size(payload, "cols", 80), Size(payload, "rows", 24));
            }
            catch (Exception e) when (e is Win32Exception or ImException)
            {
                await RefuseAsync(socket, streamId, e is ImException i ? i.StatusCode : 500, $"The terminal could not be started: {e.Message}");
                return;
            }
            Log.Opened(log, pty.Pid, target.SlurmId is { } id ? $"job {id} rank {target.Rank}" : target.Directory);
            await RunAsync(socket, pty, streamId, ct);
            Log.Closed(log, pty.Pid);
        }
        finally
        {
            if (pty is not null)
            {
                await pty.HangUpAsync(TimeSpan.FromSeconds(5));
                pty.Dispose();
            }
            sessions.Leave();
        }
    }

    /// <summary>Output to the browser and input to the terminal until either side ends.</summary>
    private static async Task RunAsync(WebSocket socket, Pty pty, string streamId, CancellationToken ct)
    {
        // Only the output side is ever cancelled: cancelling a WebSocket's pending receive aborts the socket, and
        // the browser is owed a final frame and a clean close when its shell exits.
        using var stopOutput = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sending = new SemaphoreSlim(1, 1);
        async Task SendAsync(JsonObject message, CancellationToken token)
        {
            await sending.WaitAsync(token);
            try
            {
                await CoreSocket.SendAsync(socket, message, token);
            }
            finally
            {
                sending.Release();
            }
        }
        JsonObject Message(JsonObject payload) => new() { ["type"] = "message", ["streamId"] = streamId, ["payload"] = payload };

        await SendAsync(Message(new JsonObject { ["type"] = "initialize" }), ct);
        // A thread of its own: reading a terminal blocks (polled in slices, so that stopOutput ends it).
        var output = Task.Factory.StartNew(() =>
        {
            var buffer = new byte[16 << 10];
            var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
            // Stateful: a character split between two reads is sent whole with the second.
            var decoder = Encoding.UTF8.GetDecoder();
            int n;
            while ((n = pty.Read(buffer, stopOutput.Token)) > 0)
            {
                var count = decoder.GetChars(buffer, 0, n, chars, 0, flush: false);
                if (count > 0) SendAsync(Message(new JsonObject { ["type"] = "data", ["data"] = new string(chars, 0, count) }), stopOutput.Token).GetAwaiter().GetResult();
            }
        }, stopOutput.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var input = Task.Run(async () =>
        {
            while (await CoreSocket.ReceiveTextAsync(socket, 1 << 20, ct) is { } text)
            {
                JsonObject? message = null;
                try { message = JsonNode.Parse(text) as JsonObject; } catch (System.Text.Json.JsonException) { }
                if (message?["payload"] is not JsonObject payload) continue;
                switch (payload["type"]?.ToString())
                {
                    case "input":
                        pty.Write(Encoding.UTF8.GetBytes(payload["data"]?.ToString() ?? ""));
                        break;
                    case "resize":
                        pty.Resize(Size(payload, "cols", 80), Size(payload, "rows", 24));
                        break;
                    default:
                        continue;
                }
                await SendAsync(Message(new JsonObject { ["type"] = "ack" }), ct);
            }
        }, ct);

        if (await Task.WhenAny(output, input) == output)
        {
            // The shell exited: the final frame and our close; the browser's close answer ends the input side.
            try
            {
                await SendAsync(CoreSocket.Response(streamId, 200), ct);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "the shell exited", ct);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
            if (await Task.WhenAny(input, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)) != input) socket.Abort();
        }
        else
        {
            // The browser closed (or went away): stop reading; the caller hangs the shell up.
            await stopOutput.CancelAsync();
            if (socket.State == WebSocketState.CloseReceived)
            {
                try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); }
                catch (WebSocketException) { }
            }
        }
        try
        {
            await Task.WhenAll(output, input);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or Win32Exception)
        {
            // One side ended; the other was cut short on purpose.
        }
    }

    private static Pty Start(TerminalTarget target, InstanceBootstrap bootstrap, UnixUser me, int columns, int rows)
    {
        var shell = string.IsNullOrEmpty(me.Shell) ? "/bin/sh" : me.Shell;
        if (shell.EndsWith("/nologin", StringComparison.Ordinal) || shell.EndsWith("/false", StringComparison.Ordinal))
            throw ImException.Forbidden($"Your account ({me.Name}) has no login shell here ({shell})");
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : DefaultPath;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = me.Home, ["USER"] = me.Name, ["LOGNAME"] = me.Name, ["SHELL"] = shell, ["PATH"] = path,
            ["TERM"] = "xterm-256color", ["LANG"] = Environment.GetEnvironmentVariable("LANG") is { Length: > 0 } lang ? lang : "C.UTF-8",
        };
        if (Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 } conf) environment["SLURM_CONF"] = conf;
        if (target.SlurmId is not { } slurmId) return Pty.Start(shell, [shell, "-l"], environment, target.Directory, columns, rows);
        var settings = bootstrap.Jobs ?? throw ImException.BadRequest("This provider runs no jobs");
        var srun = Executable(settings.Srun, path) ?? throw new ImException(503, $"{settings.Srun} is not installed on this node", "UNAVAILABLE");
        // One task on the node of this rank, sharing the job's resources with what runs there (--overlap).
        return Pty.Start(srun, [srun, "--overlap", "--pty", $"--jobid={slurmId}", $"--relative={target.Rank}", "--nodes=1", "--ntasks=1", shell, "-l"],
            environment, target.Directory, columns, rows);
    }

    /// <summary>A command's absolute path: itself if given as one, else found in <paramref name="path"/>.</summary>
    private static string? Executable(string command, string path)
    {
        if (Path.IsPathFullyQualified(command)) return File.Exists(command) ? command : null;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(f => File.Exists(f) && (File.GetUnixFileMode(f) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
    }

    private static int Size(JsonObject payload, string name, int fallback) =>
        payload[name] is JsonValue v && v.TryGetValue<int>(out var n) && n is >= 1 and <= 1000 ? n : fallback;

    private static async Task RefuseAsync(WebSocket socket, string streamId, int status, string why)
    {
        try
        {
            await CoreSocket.SendAsync(socket, CoreSocket.Response(streamId, status, why), CancellationToken.None);
            await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, why.Length > 120 ? why[..120] : why);
        }
        catch (WebSocketException)
        {
        }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string why)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            await socket.CloseAsync(status, why, CancellationToken.None);
    }

    private static partial class Log
    {
        [LoggerMessage(60, LogLevel.Information, "terminal opened (pid {Pid}, {Where})")]
        public static partial void Opened(ILogger logger, int pid, string where);

        [LoggerMessage(61, LogLevel.Information, "terminal closed (pid {Pid})")]
        public static partial void Closed(ILogger logger, int pid);
    }
}
