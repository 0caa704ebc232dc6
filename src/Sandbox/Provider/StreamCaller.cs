using System.Buffers.Text;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using UcloudIm.Sandbox.Core;

namespace UcloudIm.Sandbox.Provider;

/// <summary>How a streamed call ended: the response frame's status (0 if none came), every message payload, and the reason given.</summary>
public sealed record StreamAnswer(int Status, List<JsonNode> Messages, string? Why);

/// <summary>
/// Core's side of the provider's WebSocket calls (streaming search, job follow): dials with a service token
/// and the user in usernameHint (URL-safe base64, as Core2 does), sends <c>{call, streamId, payload}</c>, and
/// collects message payloads until the response frame. 449/503 get integration/init and another try.
/// </summary>
public sealed class StreamCaller(TokenIssuer issuer, ProviderCaller provider, Uri providerUrl, ProviderTls tls)
{
    private readonly HttpMessageInvoker _invoker = tls.CreateInvoker();

    /// <summary>The provider's address as Core knows it (its domain, in UCloud's terms).</summary>
    public Uri ProviderUrl => providerUrl;

    public async Task<StreamAnswer> CallAsync(string username, string path, string call, JsonObject payload, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var answer = await AttemptAsync(username, path, call, payload, ct);
            if (answer.Status is not (449 or 503) || attempt >= ProviderCaller.MaxInits) return answer;
            await provider.InitAsync(username, ct);
            await Task.Delay(ProviderCaller.RetryDelay, ct);
        }
    }

    private async Task<StreamAnswer> AttemptAsync(string username, string path, string call, JsonObject payload, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + issuer.ServiceToken());
        socket.Options.CollectHttpResponseDetails = true;
        var hint = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(username));
        var url = new UriBuilder(providerUrl) { Scheme = providerUrl.Scheme == "https" ? "wss" : "ws", Path = path, Query = $"usernameHint={hint}" }.Uri;
        try
        {
            await socket.ConnectAsync(url, _invoker, ct);
        }
        catch (WebSocketException e)
        {
            return new StreamAnswer((int)socket.HttpStatusCode, [], e.Message);
        }
        var streamId = Guid.NewGuid().ToString("N");
        var request = new JsonObject { ["call"] = call, ["streamId"] = streamId, ["payload"] = payload.DeepClone() };
        await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, ct);
        var messages = new List<JsonNode>();
        var buffer = new byte[64 << 10];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await socket.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close)
                    return new StreamAnswer(0, messages, $"closed without a response ({socket.CloseStatus} {socket.CloseStatusDescription})");
                message.Write(buffer, 0, r.Count);
            }
            while (!r.EndOfMessage);
            var node = JsonNode.Parse(message.ToArray());
            if (node?["type"]?.ToString() == "response")
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct);
                return new StreamAnswer(node["status"]?.GetValue<int>() ?? 0, messages, node["payload"]?["why"]?.ToString());
            }
            if (node?["payload"] is { } p) messages.Add(p.DeepClone());
        }
    }
}
