using System.Diagnostics;
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
using UcloudIm.Files;
using UcloudIm.Hosting;
using UcloudIm.UserInstance.Streams;
using UcloudIm.UserInstance.Tasks;

namespace UcloudIm.UserInstance.Files;

/// <summary>
/// Streaming search over Core's WebSocket (files.provider.{id}.streamingSearch): results go out in batches
/// (every 100 ms or 100 entries) as they are found, and the stream always ends with an explicit
/// end_of_results and a response frame (the reference just closed the socket). It stops at once when Core
/// closes, and after <see cref="MaxResults"/> results.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class SearchEndpoints
{
    public const int MaxResults = 10_000;
    public const int BatchSize = 100;
    public static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(100);

    public static void MapSearchEndpoints(this IEndpointRouteBuilder app, string providerId)
    {
        var call = $"files.provider.{providerId}.streamingSearch";
        app.MapGet($"/ucloud/{providerId}/files", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest) throw ImException.BadRequest("Streaming search is a WebSocket endpoint");
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            var first = await CoreSocket.ReceiveTextAsync(socket, 64 << 10, stop.Token);
            // Anything but a JSON object (bad JSON, an array, a number) is not an envelope: the socket is closed with the reason.
            JsonObject? envelope = null;
            try { envelope = first is null ? null : JsonNode.Parse(first) as JsonObject; } catch (JsonException) { }
            var streamId = envelope?["streamId"]?.ToString() ?? "";
            if (envelope?["call"]?.ToString() != call)
            {
                await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, $"expected the call {call}", CancellationToken.None);
                return;
            }
            // Core closing the socket (or going away) ends the search.
            _ = Task.Run(async () =>
            {
                try { while (await CoreSocket.ReceiveTextAsync(socket, 64 << 10, stop.Token) is not null) { } } catch (Exception) { }
                await stop.CancelAsync();
            });
            try
            {
                var payload = envelope["payload"] as JsonObject;
                var query = payload?["query"]?.ToString();
                var folder = payload?["currentFolder"]?.ToString();
                if (string.IsNullOrWhiteSpace(query)) throw ImException.BadRequest("The search has no query");
                if (string.IsNullOrEmpty(folder)) throw ImException.BadRequest("The search needs currentFolder");
                var server = context.RequestServices.GetService<ServerChannel>() ?? throw new ImException(503, "Search is not available", "UNAVAILABLE");
                var local = await FileEndpoints.LocalFolderAsync(server, folder, stop.Token);
                await StreamAsync(socket, streamId, FileSearch.Find(local, folder, query.Trim(), stop.Token), stop.Token);
                await CoreSocket.SendAsync(socket, new JsonObject { ["type"] = "message", ["streamId"] = streamId, ["payload"] = new JsonObject { ["type"] = "end_of_results" } }, stop.Token);
                await CoreSocket.SendAsync(socket, CoreSocket.Response(streamId, 200), stop.Token);
            }
            catch (ImException e)
            {
                await CoreSocket.SendAsync(socket, CoreSocket.Response(streamId, e.StatusCode, e.Message), stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                return; // Core went away
            }
            if (socket.State == WebSocketState.Open)
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        });
    }

    private static async Task StreamAsync(WebSocket socket, string streamId, IEnumerable<ProviderFile> results, CancellationToken ct)
    {
        var batch = new JsonArray();
        var sent = 0;
        var since = Stopwatch.StartNew();
        foreach (var file in results)
        {
            batch.Add(JsonSerializer.SerializeToNode(file, WireJson.Default.ProviderFile));
            if (++sent >= MaxResults) break;
            if (batch.Count >= BatchSize || since.Elapsed >= FlushEvery)
            {
                await FlushAsync();
            }
        }
        if (batch.Count > 0) await FlushAsync();

        async Task FlushAsync()
        {
            await CoreSocket.SendAsync(socket, new JsonObject
            {
                ["type"] = "message", ["streamId"] = streamId,
                ["payload"] = new JsonObject { ["type"] = "result", ["batch"] = batch },
            }, ct);
            batch = new JsonArray();
            since.Restart();
        }
    }
}
