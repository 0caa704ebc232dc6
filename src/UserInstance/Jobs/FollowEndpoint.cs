using System.Net.WebSockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.UserInstance.Streams;
using UcloudIm.Unix;
using UcloudIm.UserInstance.Tasks;

namespace UcloudIm.UserInstance.Jobs;

/// <summary>
/// jobs.provider.{id}.follow: streams a job's stdout and stderr as they grow. Growth is noticed by inotify
/// on the job folder (with a 2 s check as well, for file systems that send no events), not by reading
/// every 200 ms; the job's state comes from the server's monitor. Ends with a response frame when the job
/// has ended and its output is all sent, or when Core cancels.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class FollowEndpoint
{
    public const int MaxChunk = 64 << 10;

    public static void MapFollowEndpoint(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me)
    {
        var call = $"jobs.provider.{bootstrap.ProviderId}.follow";
        app.MapGet($"/ucloud/jobs.provider.{bootstrap.ProviderId}/websocket", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest) throw ImException.BadRequest("Following a job is a WebSocket endpoint");
            var server = context.RequestServices.GetService<ServerChannel>() ?? throw new ImException(503, "Following jobs is not available", "UNAVAILABLE");
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            var first = await CoreSocket.ReceiveTextAsync(socket, 4 << 20, stop.Token);
            // Anything but a JSON object (bad JSON, an array, a number) is not an envelope: the socket is closed with the reason.
            JsonObject? envelope = null;
            try { envelope = first is null ? null : JsonNode.Parse(first) as JsonObject; } catch (JsonException) { }
            var streamId = envelope?["streamId"]?.ToString() ?? "";
            if (envelope?["call"]?.ToString() != call || envelope["payload"] is not JsonObject payload || payload["type"]?.ToString() != "init")
            {
                await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, $"expected the call {call} with an init payload", CancellationToken.None);
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    while (await CoreSocket.ReceiveTextAsync(socket, 4 << 20, stop.Token) is { } message)
                    {
                        if (JsonNode.Parse(message) is JsonObject next && next["payload"] is JsonObject p && p["type"]?.ToString() == "cancel") break;
                    }
                }
                catch (Exception) { }
                await stop.CancelAsync();
            });
            var job = payload["job"] as JsonObject;
            var coreId = job?["id"]?.ToString();
            if (!long.TryParse(job?["providerGeneratedId"]?.ToString(), out var slurmId) || coreId is null || coreId.Contains('/') || coreId.Contains(".."))
            {
                await FinishAsync(socket, streamId, 400, "The job has no Slurm id");
                return;
            }
            try
            {
                var tracked = await server.JobStateAsync(slurmId, stop.Token); // our user's job, or a 404 here
                var folder = JobEndpoints.FolderOf(tracked, me, bootstrap.Jobs?.JobFolder ?? "ucloud-jobs", coreId);
                await StreamAsync(socket, streamId, folder, slurmId, server, stop.Token);
                await FinishAsync(socket, streamId, 200, null);
            }
            catch (ImException e)
            {
                await FinishAsync(socket, streamId, e.StatusCode, e.Message);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                if (socket.State == WebSocketState.Open) await FinishAsync(socket, streamId, 200, null);
            }
        });
    }

    private static async Task StreamAsync(WebSocket socket, string streamId, string folder, long slurmId, ServerChannel server, CancellationToken ct)
    {
        var files = new[] { new Tail(Path.Combine(folder, "stdout.txt"), "stdout"), new Tail(Path.Combine(folder, "stderr.txt"), "stderr") };
        var changed = new SemaphoreSlim(0, int.MaxValue);
        using var watcher = Directory.Exists(folder) ? new FileSystemWatcher(folder) { NotifyFilter = NotifyFilters.Size | NotifyFilters.LastWrite | NotifyFilters.FileName } : null;
        if (watcher is not null)
        {
            watcher.Changed += (_, _) => changed.Release();
            watcher.Created += (_, _) => changed.Release();
            watcher.EnableRaisingEvents = true;
        }
        var lastStateCheck = DateTime.MinValue;
        while (true)
        {
            foreach (var f in files)
            {
                while (f.ReadMore() is { } text)
                {
                    await CoreSocket.SendAsync(socket, new JsonObject
                    {
                        ["type"] = "message", ["streamId"] = streamId,
                        ["payload"] = new JsonObject { ["streamId"] = streamId, ["rank"] = 0, [f.Channel] = text },
                    }, ct);
                }
            }
            if (DateTime.UtcNow - lastStateCheck > TimeSpan.FromSeconds(2))
            {
                lastStateCheck = DateTime.UtcNow;
                var state = (await server.JobStateAsync(slurmId, ct)).State;
                if (state is "SUCCESS" or "FAILURE" or "EXPIRED")
                {
                    foreach (var f in files) while (f.ReadMore() is { } rest) await CoreSocket.SendAsync(socket, new JsonObject
                    {
                        ["type"] = "message", ["streamId"] = streamId,
                        ["payload"] = new JsonObject { ["streamId"] = streamId, ["rank"] = 0, [f.Channel] = rest },
                    }, ct);
                    return;
                }
            }
            await changed.WaitAsync(TimeSpan.FromSeconds(2), ct);
        }
    }

    /// <summary>A file read from where the last read stopped; UTF-8 split across reads is carried over.</summary>
    private sealed class Tail(string path, string channel)
    {
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private readonly byte[] _buffer = new byte[MaxChunk];
        private long _offset;

        public string Channel => channel;

        public string? ReadMore()
        {
            try
            {
                // A FIFO in the output's place is not followed: opening it would wait for a writer.
                using var f = new FileStream(FileSystemCalls.OpenRegularForReading(path), FileAccess.Read);
                if (f.Length <= _offset) return null;
                f.Position = _offset;
                var n = f.Read(_buffer, 0, _buffer.Length);
                if (n <= 0) return null;
                _offset += n;
                var chars = new char[_decoder.GetCharCount(_buffer, 0, n)];
                _decoder.GetChars(_buffer, 0, n, chars, 0);
                return new string(chars);
            }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            catch (UnixIOException e) when (e.Errno is FileSystemCalls.ENXIO or FileSystemCalls.ENOTDIR) { return null; }
        }
    }

    private static async Task FinishAsync(WebSocket socket, string streamId, int status, string? why)
    {
        try
        {
            await CoreSocket.SendAsync(socket, CoreSocket.Response(streamId, status, why), CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or IOException) { }
    }
}
