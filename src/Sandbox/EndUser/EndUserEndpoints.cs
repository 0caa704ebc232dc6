using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Hosting;
using UcloudIm.Sandbox.Core;
using UcloudIm.Sandbox.Provider;

namespace UcloudIm.Sandbox.EndUser;

/// <summary>
/// The end-user's front door: what the UCloud web app would call on Core. The sandbox names the user in the
/// path and does not enforce Core's own permissions, so that the provider's enforcement is what gets tested.
/// </summary>
internal static class EndUserEndpoints
{
    public sealed record BrowseRequest(string Path, int? ItemsPerPage, string? Next, string? SortBy, string? SortDirection);

    public sealed record PathRequest(string Path, string? ConflictPolicy);

    public sealed record MoveRequest(string From, string To, string? ConflictPolicy);

    public sealed record SearchRequest(string Path, string Query);

    public sealed record ExtendRequest(int Minutes);

    public sealed record StartJobRequest(string Application, string? Version, string Product, Dictionary<string, string>? Parameters, int? Minutes, string? Name,
        string? Project = null, bool Ssh = false);

    public sealed record UploadRequest(string Path, string? Type, string? ConflictPolicy);

    /// <summary>The user's SSH keys as they now are in UCloud (every call names them all, as Core sends them all).</summary>
    public sealed record SshKeysRequest(List<SshKeyInput> Keys);

    public sealed record SshKeyInput(string Title, string Key);

    public static void MapEndUserEndpoints(this IEndpointRouteBuilder app)
    {
        var sandbox = app.MapGroup("/sandbox");
        sandbox.MapPost("/users/{user}/files/browse", async (string user, BrowseRequest body, SandboxState state, ProviderCaller provider, CancellationToken ct) =>
        {
            var drive = DriveOf(state, body.Path);
            var request = new JsonObject
            {
                ["resolvedCollection"] = drive,
                ["browse"] = new JsonObject
                {
                    ["flags"] = new JsonObject { ["path"] = body.Path },
                    ["itemsPerPage"] = body.ItemsPerPage ?? 50,
                    ["next"] = body.Next,
                    ["sortBy"] = body.SortBy ?? "PATH",
                    ["sortDirection"] = body.SortDirection ?? "ASCENDING",
                },
            };
            return Answer(await provider.InvokeAsync(user, HttpMethod.Post, "files/browse", request.ToJsonString(), ct));
        });
        sandbox.MapPost("/users/{user}/files/retrieve", async (string user, BrowseRequest body, SandboxState state, ProviderCaller provider, CancellationToken ct) =>
        {
            var request = new JsonObject
            {
                ["resolvedCollection"] = DriveOf(state, body.Path),
                ["retrieve"] = new JsonObject { ["id"] = body.Path, ["flags"] = new JsonObject() },
            };
            return Answer(await provider.InvokeAsync(user, HttpMethod.Post, "files/retrieve", request.ToJsonString(), ct));
        });
        sandbox.MapPost("/users/{user}/files/folder", async (string user, PathRequest body, SandboxState state, ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsync(user, HttpMethod.Post, "files/folder", Items(new JsonObject
            {
                ["id"] = body.Path, ["resolvedCollection"] = DriveOf(state, body.Path), ["conflictPolicy"] = body.ConflictPolicy ?? "REJECT",
            }), ct)));
        MapFromTo(sandbox, "files/move", "REJECT");
        MapPathOnly(sandbox, "files/trash");

        MapPathOnly(sandbox, "files/download");

        sandbox.MapPost("/users/{user}/files/upload", async (string user, UploadRequest body, SandboxState state, ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsync(user, HttpMethod.Post, "files/upload", Items(new JsonObject
            {
                ["id"] = body.Path, ["type"] = body.Type ?? "FILE", ["supportedProtocols"] = new JsonArray("WEBSOCKET_V2"),
                ["conflictPolicy"] = body.ConflictPolicy ?? "REJECT", ["resolvedCollection"] = DriveOf(state, body.Path),
            }), ct)));

        MapFromTo(sandbox, "files/copy", "RENAME");
        MapPathOnly(sandbox, "files/emptyTrash");
        sandbox.MapPost("/users/{user}/files/search", async (string user, SearchRequest body, SandboxState state, StreamCaller streams, CancellationToken ct) =>
        {
            var a = await streams.CallAsync(user, $"/ucloud/{state.ProviderId}/files", $"files.provider.{state.ProviderId}.streamingSearch", new JsonObject
            {
                ["query"] = body.Query, ["owner"] = new JsonObject { ["createdBy"] = user }, ["flags"] = new JsonObject(), ["currentFolder"] = body.Path,
            }, ct);
            var batches = a.Messages.Where(m => m["type"]?.ToString() == "result").ToList();
            return Results.Json(new JsonObject
            {
                ["status"] = a.Status, ["why"] = a.Why, ["batches"] = batches.Count,
                ["endOfResults"] = a.Messages.Any(m => m["type"]?.ToString() == "end_of_results"),
                ["files"] = new JsonArray([.. batches.SelectMany(b => b["batch"]!.AsArray()).Select(f => (JsonNode)JsonValue.Create(f!["id"]!.ToString()))]),
            });
        });
        // Following a job's output, as Core does for the web app: until the provider says it has ended.
        sandbox.MapPost("/users/{user}/jobs/{id}/follow", async (string user, string id, SandboxState state, JobBoard jobs, StreamCaller streams, CancellationToken ct) =>
        {
            var job = jobs.Find(id) ?? throw ImException.NotFound($"No job {id}");
            var a = await streams.CallAsync(user, $"/ucloud/jobs.provider.{state.ProviderId}/websocket", $"jobs.provider.{state.ProviderId}.follow",
                new JsonObject { ["type"] = "init", ["job"] = job.DeepClone() }, ct);
            return Results.Json(new JsonObject
            {
                ["status"] = a.Status, ["why"] = a.Why, ["messages"] = a.Messages.Count,
                ["stdout"] = string.Concat(a.Messages.Select(m => m["stdout"]?.ToString())),
                ["stderr"] = string.Concat(a.Messages.Select(m => m["stderr"]?.ToString())),
            });
        });
        // Starting a job: Core makes the job, then asks the provider to run it (449 → init → retry as for files).
        sandbox.MapPost("/users/{user}/jobs", async (string user, StartJobRequest body, SandboxState state, JobBoard jobs, ProviderCaller provider, CancellationToken ct) =>
        {
            var parameters = new JsonObject();
            foreach (var (k, v) in body.Parameters ?? []) parameters[k] = new JsonObject { ["type"] = "text", ["value"] = v };
            var spec = new JsonObject
            {
                ["application"] = new JsonObject { ["name"] = body.Application, ["version"] = body.Version },
                ["product"] = new JsonObject { ["id"] = body.Product, ["category"] = body.Product, ["provider"] = state.ProviderId },
                ["parameters"] = parameters, ["replicas"] = 1, ["name"] = body.Name, ["sshEnabled"] = body.Ssh,
                ["timeAllocation"] = new JsonObject { ["hours"] = 0, ["minutes"] = body.Minutes ?? 10, ["seconds"] = 0 },
            };
            var job = jobs.Create(user, spec, body.Project);
            var answer = await provider.InvokeAsync(user, HttpMethod.Post, "jobs", new JsonObject { ["items"] = new JsonArray(job.DeepClone()) }.ToJsonString(), ct);
            if (answer.Status == 200 && JsonNode.Parse(answer.Body)?["responses"]?[0]?["id"]?.ToString() is { } pid) jobs.SetProviderId(job["id"]!.ToString(), pid);
            return Results.Json(new JsonObject
            {
                ["jobId"] = job["id"]!.ToString(), ["status"] = answer.Status, ["attempts"] = answer.Attempts, ["inits"] = answer.Inits,
                ["body"] = answer.Body.Length == 0 ? null : JsonNode.Parse(answer.Body),
            });
        });
        sandbox.MapGet("/users/{user}/jobs", (string user, JobBoard jobs) => TypedResults.Ok(jobs.Of(user)));
        sandbox.MapGet("/products", async (ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsServiceAsync(HttpMethod.Get, "jobs/retrieveProducts", null, ct)));
        sandbox.MapPost("/users/{user}/jobs/{id}/cancel", async (string user, string id, JobBoard jobs, ProviderCaller provider, CancellationToken ct) =>
        {
            var job = jobs.Find(id) ?? throw ImException.NotFound($"No job {id}");
            return Answer(await provider.InvokeAsync(user, HttpMethod.Post, "jobs/terminate", new JsonObject { ["items"] = new JsonArray(job.DeepClone()) }.ToJsonString(), ct));
        });
        sandbox.MapPost("/users/{user}/jobs/{id}/extend", async (string user, string id, ExtendRequest body, JobBoard jobs, ProviderCaller provider, CancellationToken ct) =>
        {
            var job = jobs.Find(id) ?? throw ImException.NotFound($"No job {id}");
            return Answer(await provider.InvokeAsync(user, HttpMethod.Post, "jobs/extend", new JsonObject
            {
                ["items"] = new JsonArray(new JsonObject { ["job"] = job.DeepClone(), ["requestedTime"] = new JsonObject { ["hours"] = 0, ["minutes"] = body.Minutes, ["seconds"] = 0 } }),
            }.ToJsonString(), ct));
        });
        // "Open interface": the provider answers with the link the browser is sent to (WEB), noVNC's URL and password
        // (?type=VNC), or a terminal's session identifier (?type=SHELL, and &rank=N for another node of the job).
        sandbox.MapPost("/users/{user}/jobs/{id}/open", async (string user, string id, string? type, int? rank, JobBoard jobs, ProviderCaller provider, StreamCaller streams, SandboxState state, CancellationToken ct) =>
        {
            var job = jobs.Find(id) ?? throw ImException.NotFound($"No job {id}");
            var sessionType = (type ?? "WEB").ToUpperInvariant();
            if (sessionType is not ("WEB" or "VNC" or "SHELL")) throw ImException.BadRequest("type is WEB, VNC or SHELL");
            return SessionsAnswer(await provider.InvokeAsync(user, HttpMethod.Post, "jobs/interactiveSession", new JsonObject
            {
                ["items"] = new JsonArray(new JsonObject { ["job"] = job.DeepClone(), ["rank"] = rank ?? 0, ["sessionType"] = sessionType }),
            }.ToJsonString(), ct), user, state, streams);
        });
        // "Open in terminal" on a folder: the provider answers with a terminal's session identifier.
        sandbox.MapPost("/users/{user}/terminal", async (string user, PathRequest body, ProviderCaller provider, StreamCaller streams, SandboxState state, CancellationToken ct) =>
            SessionsAnswer(await provider.InvokeAsync(user, HttpMethod.Post, "jobs/openTerminalInFolder",
                new JsonObject { ["items"] = new JsonArray(new JsonObject { ["folder"] = body.Path }) }.ToJsonString(), ct), user, state, streams));
        // The user adds or removes an SSH key in UCloud: Core sends the provider all of the user's keys.
        sandbox.MapPost("/users/{user}/ssh-keys", async (string user, SshKeysRequest body, ProviderCaller provider, CancellationToken ct) =>
        {
            var keys = new JsonArray();
            var index = 0;
            foreach (var k in body.Keys ?? [])
            {
                keys.Add(new JsonObject
                {
                    ["id"] = $"{++index}", ["owner"] = user, ["createdAt"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    ["fingerprint"] = Fingerprint(k.Key), ["specification"] = new JsonObject { ["title"] = k.Title, ["key"] = k.Key },
                });
            }
            return Answer(await provider.InvokeAsync(user, HttpMethod.Post, "ssh/keyUploaded",
                new JsonObject { ["username"] = user, ["allKeys"] = keys }.ToJsonString(), ct));
        });
        sandbox.MapGet("/users/{user}/tasks", (string user, TaskBoard board) => TypedResults.Ok(board.Of(user)));
        sandbox.MapPost("/users/{user}/tasks/{id}/cancel", async (string user, string id, ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsync(user, HttpMethod.Post, "tasks/pauseOrCancel",
                new JsonObject { ["id"] = id, ["requestedState"] = "CANCELLED" }.ToJsonString(), ct)));

        // The user disconnects this provider in UCloud: Core tells the provider with integration/unlinked.
        sandbox.MapPost("/users/{user}/unlink", async (string user, ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsServiceAsync(HttpMethod.Post, "integration/unlinked", JsonSerializer.Serialize(new { username = user }), ct)));
        // The user's own drives; with ?project=, that project's (the sandbox keeps no project membership: the provider's group decides).
        sandbox.MapGet("/users/{user}/drives", (string user, string? project, SandboxState state) =>
            TypedResults.Ok(state.Drives().Where(d => project is null ? d.Owner == user && d.Project is null : d.Project == project).ToList()));
        sandbox.MapGet("/calls", (CallLog log) => TypedResults.Ok(log.All()));
    }

    /// <summary>An operation on one path: <c>{items:[{id, resolvedCollection}]}</c>.</summary>
    private static void MapPathOnly(RouteGroupBuilder sandbox, string operation) =>
        sandbox.MapPost($"/users/{{user}}/{operation}", async (string user, PathRequest body, SandboxState state, ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsync(user, HttpMethod.Post, operation, Items(new JsonObject
            {
                ["id"] = body.Path, ["resolvedCollection"] = DriveOf(state, body.Path),
            }), ct)));

    /// <summary>An operation from one path to another (move, copy).</summary>
    private static void MapFromTo(RouteGroupBuilder sandbox, string operation, string defaultPolicy) =>
        sandbox.MapPost($"/users/{{user}}/{operation}", async (string user, MoveRequest body, SandboxState state, ProviderCaller provider, CancellationToken ct) =>
            Answer(await provider.InvokeAsync(user, HttpMethod.Post, operation, Items(new JsonObject
            {
                ["oldId"] = body.From, ["newId"] = body.To, ["resolvedOldCollection"] = DriveOf(state, body.From),
                ["resolvedNewCollection"] = DriveOf(state, body.To), ["conflictPolicy"] = body.ConflictPolicy ?? defaultPolicy,
            }), ct)));

    /// <summary>OpenSSH's SHA256 fingerprint of a key's blob, as Core shows it; empty for text that is not a key.</summary>
    private static string Fingerprint(string key)
    {
        var parts = key.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var blob = new byte[key.Length];
        return parts.Length >= 2 && Convert.TryFromBase64String(parts[1], blob, out var n)
            ? "SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(blob.AsSpan(0, n))).TrimEnd('=')
            : "";
    }

    private static string Items(JsonObject item) => new JsonObject { ["items"] = new JsonArray(item) }.ToJsonString();

    /// <summary>The provider's status and body, plus how the call went, for the CLI and the tests.</summary>
    /// <summary>
    /// As Core answers jobs.openInteractiveSession: each of the provider's OpenSessions wrapped with the provider's
    /// id and domain. For a shell, also the WebSocket URL the browser opens (the session's domainOverride, the
    /// provider's terminal path, the identifier and the user), as UCloud's frontend builds it.
    /// </summary>
    private static IResult SessionsAnswer(ProviderAnswer a, string user, SandboxState state, StreamCaller streams)
    {
        if (a.Status != 200) return Answer(a);
        var body = JsonNode.Parse(a.Body);
        var wrapped = new JsonArray();
        foreach (var session in body?["responses"]?.AsArray() ?? [])
        {
            var item = new JsonObject { ["providerDomain"] = streams.ProviderUrl.ToString().TrimEnd('/'), ["providerId"] = state.ProviderId, ["session"] = session?.DeepClone() };
            if (session?["type"]?.ToString() == "shell")
            {
                var hint = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user));
                item["connectTo"] = $"{session["domainOverride"]}/ucloud/{state.ProviderId}/websocket?session={Uri.EscapeDataString(session["sessionIdentifier"]?.ToString() ?? "")}&usernameHint={Uri.EscapeDataString(hint)}";
            }
            wrapped.Add((JsonNode)item);
        }
        return Results.Json(new JsonObject { ["status"] = a.Status, ["attempts"] = a.Attempts, ["inits"] = a.Inits, ["body"] = new JsonObject { ["responses"] = wrapped } });
    }

    private static IResult Answer(ProviderAnswer a)
    {
        JsonNode? body;
        try { body = JsonNode.Parse(a.Body.Length == 0 ? "null" : a.Body); } catch (JsonException) { body = JsonValue.Create(a.Body); }
        return Results.Json(new JsonObject { ["status"] = a.Status, ["attempts"] = a.Attempts, ["inits"] = a.Inits, ["body"] = body });
    }

    private static JsonObject DriveOf(SandboxState state, string path)
    {
        var driveId = path.TrimStart('/').Split('/')[0];
        var drive = state.Drives().FirstOrDefault(d => d.Id == driveId)
            ?? throw ImException.NotFound($"The sandbox knows no drive '{driveId}' (add one with `ucloud-sandbox drive add`)");
        return DriveJson(state, drive);
    }

    /// <summary>A drive as Core sends it to providers.</summary>
    public static JsonObject DriveJson(SandboxState state, SandboxDrive drive)
    {
        return new JsonObject
        {
            ["id"] = drive.Id,
            ["specification"] = new JsonObject
            {
                ["title"] = drive.Title,
                ["product"] = new JsonObject { ["id"] = drive.Category, ["category"] = drive.Category, ["provider"] = state.ProviderId },
            },
            ["providerGeneratedId"] = drive.ProviderGeneratedId ?? $"{state.ProviderId}-{drive.Owner}\n{drive.LocalPath}",
            ["owner"] = new JsonObject { ["createdBy"] = drive.Owner, ["project"] = drive.Project },
            ["createdAt"] = 0,
        };
    }
}
