using System.Buffers.Text;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using UcloudIm.Sandbox.Core;

namespace UcloudIm.Sandbox.Provider;

/// <summary>What a streaming search gave: the files, in how many batches, and whether it ended explicitly.</summary>
public sealed record SearchAnswer(int Status, List<string> Files, int Batches, bool EndOfResults, string? Why);

/// <summary>
/// Core's side of streaming search: dials the provider's WebSocket with a service token and the user in
/// usernameHint (URL-safe base64, as Core2 does), sends the call, and collects batches until the end.
/// </summary>
public sealed class SearchCaller(SandboxState state, TokenIssuer issuer, ProviderCaller provider, Uri providerUrl)
{
    public async Task<SearchAnswer> SearchAsync(string username, string folder, string query, CancellationToken ct)
    {
        // Like any call: a user who is not ready (449) gets integration/init, then another try.
        for (var attempt = 0; ; attempt++)
        {
            var answer = await AttemptAsync(username, folder, query, ct);
            if (answer.Status is not (449 or 503) || attempt >= ProviderCaller.MaxInits) return answer;
            await provider.InitAsync(username, ct);
            await Task.Delay(ProviderCaller.RetryDelay, ct);
        }
    }

    private async Task<SearchAnswer> AttemptAsync(string username, string folder, string query, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + issuer.ServiceToken());
        socket.Options.CollectHttpResponseDetails = true;
        var hint = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(username));
        var url = new UriBuilder(providerUrl) { Scheme = providerUrl.Scheme == "https" ? "wss" : "ws", Path = $"/ucloud/{state.ProviderId}/files", Query = $"usernameHint={hint}" }.Uri;
        try
        {
            await socket.ConnectAsync(url, ct);
        }
        catch (WebSocketException e)
        {
            return new SearchAnswer((int)socket.HttpStatusCode, [], 0, false, e.Message);
        }
        var streamId = Guid.NewGuid().ToString("N");
        var request = new JsonObject
        {
            ["call"] = $"files.provider.{state.ProviderId}.streamingSearch", ["streamId"] = streamId,
            ["payload"] = new JsonObject { ["query"] = query, ["owner"] = new JsonObject { ["createdBy"] = username }, ["flags"] = new JsonObject(), ["currentFolder"] = folder },
        };
        await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, ct);
        var files = new List<string>();
        var batches = 0;
        var ended = false;
        var buffer = new byte[64 << 10];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await socket.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close)
                    return new SearchAnswer(0, files, batches, ended, $"closed without a response ({socket.CloseStatus} {socket.CloseStatusDescription})");
                message.Write(buffer, 0, r.Count);
            }
            while (!r.EndOfMessage);
            var node = JsonNode.Parse(message.ToArray());
            if (node?["type"]?.ToString() == "response")
            {
                var status = node["status"]?.GetValue<int>() ?? 0;
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct);
                return new SearchAnswer(status, files, batches, ended, node["payload"]?["why"]?.ToString());
            }
            var payload = node?["payload"];
            switch (payload?["type"]?.ToString())
            {
                case "result":
                    batches++;
                    files.AddRange(payload["batch"]!.AsArray().Select(f => f!["id"]!.ToString()));
                    break;
                case "end_of_results":
                    ended = true;
                    break;
            }
        }
    }
}
