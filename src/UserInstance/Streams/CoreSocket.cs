using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace UcloudIm.UserInstance.Streams;

/// <summary>
/// Core's WebSocket calls (search, follow): text frames holding JSON envelopes. One place for reading a
/// whole message (bounded) and writing one.
/// </summary>
internal static class CoreSocket
{
    /// <summary>The next text message, or null when the peer closed.</summary>
    public static async Task<string?> ReceiveTextAsync(WebSocket socket, int maxBytes, CancellationToken ct)
    {
        var buffer = new byte[16 << 10];
        using var text = new MemoryStream();
        while (true)
        {
            var r = await socket.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            text.Write(buffer, 0, r.Count);
            if (text.Length > maxBytes) throw new WebSocketException("message too large");
            if (r.EndOfMessage) return Encoding.UTF8.GetString(text.ToArray());
        }
    }

    public static Task SendAsync(WebSocket socket, JsonObject message, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct);

    /// <summary>A stream's final frame: <c>{type: response, status, streamId, payload}</c>, the payload empty or <c>{statusCode, why}</c>.</summary>
    public static JsonObject Response(string streamId, int status, string? why = null) => new()
    {
        ["type"] = "response", ["status"] = status, ["streamId"] = streamId,
        ["payload"] = why is null ? new JsonObject() : new JsonObject { ["statusCode"] = status, ["why"] = why },
    };
}
