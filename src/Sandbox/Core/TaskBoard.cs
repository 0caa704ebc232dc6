using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace UcloudIm.Sandbox.Core;

/// <summary>Core's task list, as the user would watch it: each task with every status the provider posted.</summary>
public sealed class TaskBoard
{
    private readonly ConcurrentDictionary<string, JsonObject> _tasks = new();
    private int _next;

    public string Create(string user, string title)
    {
        var id = Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _tasks[id] = new JsonObject { ["taskId"] = id, ["user"] = user, ["title"] = title, ["state"] = "IN_QUEUE", ["history"] = new JsonArray() };
        return id;
    }

    /// <summary>False for an unknown task.</summary>
    public bool Post(string id, JsonNode? status)
    {
        if (!_tasks.TryGetValue(id, out var task)) return false;
        lock (task)
        {
            task["state"] = status?["state"]?.GetValue<string>() ?? task["state"]!.GetValue<string>();
            task["progress"] = status?["progress"]?.DeepClone();
            task["progressPercentage"] = status?["progressPercentage"]?.DeepClone();
            task["history"]!.AsArray().Add(status?.DeepClone());
        }
        return true;
    }

    public List<JsonObject> Of(string user) =>
        _tasks.Values.Where(t => t["user"]!.GetValue<string>() == user).Select(t => { lock (t) return (JsonObject)t.DeepClone(); })
            .OrderBy(t => int.Parse(t["taskId"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
}
