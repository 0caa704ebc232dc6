using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace UcloudIm.Sandbox.Core;

/// <summary>Core's jobs, as users see them: the specification, the provider's id, and every update the provider sent.</summary>
public sealed class JobBoard
{
    private readonly ConcurrentDictionary<string, JsonObject> _jobs = new();
    // Ids that do not repeat when the sandbox restarts (a provider keeps the ids it was given).
    private long _next = DateTimeOffset.UtcNow.ToUnixTimeSeconds() * 100;

    public JsonObject Create(string user, JsonObject specification, string? project = null)
    {
        var id = Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var job = new JsonObject
        {
            ["id"] = id, ["owner"] = new JsonObject { ["createdBy"] = user, ["project"] = project },
            ["specification"] = specification, ["state"] = "IN_QUEUE", ["updates"] = new JsonArray(),
        };
        _jobs[id] = job;
        return job;
    }

    public JsonObject? Find(string id) => _jobs.TryGetValue(id, out var j) ? j : null;

    public void SetProviderId(string id, string providerId)
    {
        if (_jobs.TryGetValue(id, out var j)) lock (j) j["providerGeneratedId"] = providerId;
    }

    /// <summary>False for a job Core does not know.</summary>
    public bool Update(string id, JsonNode? update)
    {
        if (!_jobs.TryGetValue(id, out var j)) return false;
        lock (j)
        {
            if (update?["state"]?.ToString() is { } state) j["state"] = state;
            var copy = update?.DeepClone();
            // When Core heard of it: what the latency benchmark measures against Slurm's end time.
            if (copy is JsonObject o) o["receivedAt"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            j["updates"]!.AsArray().Add(copy);
        }
        return true;
    }

    public List<JsonObject> Of(string user) =>
        _jobs.Values.Where(j => j["owner"]!["createdBy"]!.ToString() == user).Select(j => { lock (j) return (JsonObject)j.DeepClone(); })
            .OrderBy(j => long.Parse(j["id"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
}
