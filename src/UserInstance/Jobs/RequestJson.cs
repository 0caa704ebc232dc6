using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using UcloudIm.Hosting;

namespace UcloudIm.UserInstance.Jobs;

/// <summary>
/// Reading the jobs API's bulk requests (<c>{items:[…]}</c>) as JSON nodes. A value of the wrong shape or out of
/// range is a 400 that names it: not a 500 from a node indexed as what it is not, and never a different number
/// from a cast (a replica count of 2^32 + 1 read as 1).
/// </summary>
internal static class RequestJson
{
    public static async Task<JsonArray> ItemsAsync(HttpRequest request, CancellationToken ct) =>
        (await ObjectAsync(request, ct))["items"] as JsonArray ?? throw ImException.BadRequest("The request has no items (a JSON array)");

    /// <summary>The body, which must be a JSON object.</summary>
    public static async Task<JsonObject> ObjectAsync(HttpRequest request, CancellationToken ct) =>
        // A name given twice is refused while parsing (a 400 from WireErrors), not left for a JsonObject to throw on.
        await JsonNode.ParseAsync(request.Body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }, cancellationToken: ct) as JsonObject
            ?? throw ImException.BadRequest("The request body is not a JSON object");

    /// <summary>The node as an object; <paramref name="what"/> names it in the error ("A job", "The job's specification").</summary>
    public static JsonObject Object(JsonNode? node, string what) =>
        node as JsonObject ?? throw ImException.BadRequest($"{what} is not a JSON object");

    /// <summary>An optional object member: null when absent or null, a 400 when it is something else.</summary>
    public static JsonObject? OptionalObject(JsonObject parent, string name) => parent[name] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw ImException.BadRequest($"'{name}' is not a JSON object"),
    };

    /// <summary>A string member, or null when it is absent or not a string.</summary>
    public static string? OptionalString(JsonObject? parent, string name) =>
        parent?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A whole number in [min, max], or <paramref name="fallback"/> when absent or null.</summary>
    public static long Integer(JsonObject? parent, string name, long fallback, long min, long max)
    {
        var node = parent?[name];
        if (node is null) return fallback;
        if (node is JsonValue v && v.TryGetValue<long>(out var n) && n >= min && n <= max) return n;
        throw ImException.BadRequest($"'{name}' must be a whole number from {min} to {max}, not {Shown(node)}");
    }

    private static string Shown(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length > 40 ? text[..40] + "…" : text;
    }
}
