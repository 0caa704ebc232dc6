using System.CommandLine;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console;
using UcloudIm.Sandbox.Provider;

namespace UcloudIm.Sandbox.EndUser;

/// <summary>
/// <c>ucloud-sandbox terminal alice --folder /home-alice</c> or <c>--job ID</c>: the browser's terminal in this
/// terminal. Asks Core (the sandbox) to open one, connects to the URL UCloud's frontend would, puts the local
/// terminal in raw mode, and relays keystrokes, window size changes and output until the remote shell exits.
/// </summary>
internal static class TerminalCommand
{
    private const int SIGWINCH = 28;

    public static Command Build(Argument<string> user, Option<string> url)
    {
        var folder = new Option<string?>("--folder") { Description = "A login shell on the provider's frontend in this UCloud folder (/<drive>/…)" };
        var job = new Option<string?>("--job") { Description = "A shell inside this running job" };
        var rank = new Option<int>("--rank") { Description = "With --job: the node of this rank", DefaultValueFactory = _ => 0 };
        var ca = new Option<string?>("--provider-ca") { Description = "A PEM CA certificate to trust for the provider's HTTPS (a private or test CA)" };
        var cmd = new Command("terminal", "Open a terminal as an end-user, in a folder (--folder) or in a running job (--job), and attach to it")
            { user, folder, job, rank, url, ca };
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(folder) is null) == (r.GetValue(job) is null)) r.AddError("give one of --folder and --job");
        });
        cmd.SetAction(async (p, ct) =>
        {
            var who = Uri.EscapeDataString(p.GetValue(user)!);
            using var http = new HttpClient { BaseAddress = new Uri(p.GetValue(url)!), Timeout = TimeSpan.FromMinutes(2) };
            var response = p.GetValue(job) is { } id
                ? await http.PostAsync($"/sandbox/users/{who}/jobs/{Uri.EscapeDataString(id)}/open?type=SHELL&rank={p.GetValue(rank)}", null, ct)
                : await http.PostAsync($"/sandbox/users/{who}/terminal",
                    new StringContent(new JsonObject { ["path"] = p.GetValue(folder) }.ToJsonString(), Encoding.UTF8, "application/json"), ct);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            if (answer["status"]?.GetValue<int>() != 200)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error {answer["status"]}[/]: {answer["body"]?["why"] ?? answer["why"]}");
                return 1;
            }
            var opened = answer["body"]!["responses"]![0]!;
            using var invoker = new ProviderTls(p.GetValue(ca)).CreateInvoker();
            return await AttachAsync(new Uri(opened["connectTo"]!.ToString()), opened["session"]!["sessionIdentifier"]!.ToString(), invoker, ct);
        });
        return cmd;
    }

    private static async Task<int> AttachAsync(Uri connectTo, string session, HttpMessageInvoker invoker, CancellationToken ct)
    {
        using var socket = BrowserSocket.Create();
        await socket.ConnectAsync(connectTo, invoker, ct);
        var call = new JsonObject { ["call"] = "jobs.compute.shell.open", ["streamId"] = "0" };
        using var sending = new SemaphoreSlim(1, 1);
        async Task SendAsync(JsonObject payload)
        {
            var message = (JsonObject)call.DeepClone();
            message["payload"] = payload;
            await sending.WaitAsync(ct);
            try { await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct); }
            finally { sending.Release(); }
        }

        var interactive = !Console.IsInputRedirected;
        var (columns, rows) = interactive ? WindowSize() : (80, 24);
        await SendAsync(new JsonObject { ["type"] = "initialize", ["sessionIdentifier"] = session, ["cols"] = columns, ["rows"] = rows });
        using var resized = interactive
            ? PosixSignalRegistration.Create((PosixSignal)SIGWINCH, signal =>
            {
                var (c, r) = WindowSize();
                _ = SendAsync(new JsonObject { ["type"] = "resize", ["cols"] = c, ["rows"] = r });
            })
            : null;
        if (interactive) Stty("raw", "-echo");
        try
        {
            // Keystrokes as they come (raw mode), UTF-8 kept whole across reads.
            _ = Task.Run(async () =>
            {
                var input = Console.OpenStandardInput();
                var buffer = new byte[4096];
                var chars = new char[4096];
                var decoder = Encoding.UTF8.GetDecoder();
                int n;
                while ((n = await input.ReadAsync(buffer, ct)) > 0)
                {
                    var count = decoder.GetChars(buffer, 0, n, chars, 0, flush: false);
                    if (count > 0) await SendAsync(new JsonObject { ["type"] = "input", ["data"] = new string(chars, 0, count) });
                }
            }, ct);
            var output = Console.OpenStandardOutput();
            var frame = new byte[64 << 10];
            using var message = new MemoryStream();
            while (true)
            {
                var r = await socket.ReceiveAsync(frame, ct);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(frame, 0, r.Count);
                if (!r.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray());
                message.SetLength(0);
                if (node?["type"]?.ToString() == "response" && node["status"]?.GetValue<int>() is { } status and not 200)
                {
                    if (interactive) Stty("sane");
                    AnsiConsole.MarkupLineInterpolated($"[red]error {status}[/]: {node["payload"]?["why"]}");
                    return 1;
                }
                if (node?["payload"]?["type"]?.ToString() == "data")
                {
                    await output.WriteAsync(Encoding.UTF8.GetBytes(node["payload"]!["data"]!.ToString()), ct);
                    await output.FlushAsync(ct);
                }
            }
            return 0;
        }
        catch (WebSocketException e)
        {
            if (interactive) Stty("sane");
            AnsiConsole.MarkupLineInterpolated($"[red]the terminal's connection broke[/]: {e.Message}");
            return 1;
        }
        finally
        {
            if (interactive) Stty("sane");
        }
    }

    private static (int Columns, int Rows) WindowSize()
    {
        try
        {
            return (Math.Max(Console.WindowWidth, 1), Math.Max(Console.WindowHeight, 1));
        }
        catch (IOException)
        {
            return (80, 24);
        }
    }

    /// <summary>The local terminal's mode (stty on the controlling terminal).</summary>
    private static void Stty(params string[] modes)
    {
        using var stty = Process.Start(new ProcessStartInfo("stty", ["-F", "/dev/tty", .. modes]) { UseShellExecute = false });
        stty?.WaitForExit();
    }
}
