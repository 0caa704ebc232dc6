using System.Net.Http.Json;
using System.Runtime.Versioning;
using UcloudIm.Contracts;
using UcloudIm.Hosting;

namespace UcloudIm.UserInstance.Tasks;

/// <summary>
/// The instance's line to the server's socket (checked to be served by the server's uid). The server knows
/// who we are from SO_PEERCRED; we only ever act for our own user.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ServerChannel(HttpClient http)
{
    public static ServerChannel? From(InstanceBootstrap b) => b.ServerSocket is { } socket
        ? new ServerChannel(new HttpClient(UnixSocketHttp.CreateHandler(socket, b.ServerUid)) { BaseAddress = new Uri("http://server"), Timeout = TimeSpan.FromSeconds(30) })
        : null;

    public async Task<TaskView> CreateTaskAsync(TaskCreateRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/instance/tasks", request, WireJson.Default.TaskCreateRequest, ct);
        await ThrowIfFailed(response, ct);
        return (await response.Content.ReadFromJsonAsync(WireJson.Default.TaskView, ct))!;
    }

    public async Task<List<TaskView>> UnfinishedTasksAsync(CancellationToken ct) =>
        await http.GetFromJsonAsync("/instance/tasks", WireJson.Default.ListTaskView, ct) ?? [];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Drive Drive, DateTime At)> _drives = new();

    /// <summary>One of our user's drives, from Core through the server; kept for a minute.</summary>
    public async Task<Drive> DriveAsync(string id, CancellationToken ct)
    {
        if (_drives.TryGetValue(id, out var hit) && DateTime.UtcNow - hit.At < TimeSpan.FromMinutes(1)) return hit.Drive;
        using var response = await http.GetAsync($"/instance/drives/{Uri.EscapeDataString(id)}", ct);
        await ThrowIfFailed(response, ct);
        var drive = (await response.Content.ReadFromJsonAsync(WireJson.Default.Drive, ct))!;
        _drives[id] = (drive, DateTime.UtcNow);
        return drive;
    }

    public async Task TrackJobAsync(TrackJobRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/instance/jobs", request, WireJson.Default.TrackJobRequest, ct);
        await ThrowIfFailed(response, ct);
    }

    /// <summary>A project's job settings, if it is mapped here and our user is in its group (403/404 in words otherwise).</summary>
    public async Task<ProjectWorkspace> ProjectAsync(string projectId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/instance/projects/{Uri.EscapeDataString(projectId)}", ct);
        await ThrowIfFailed(response, ct);
        return (await response.Content.ReadFromJsonAsync(WireJson.Default.ProjectWorkspace, ct))!;
    }

    public async Task<JobStateView> JobStateAsync(long slurmId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/instance/jobs/{slurmId}", ct);
        await ThrowIfFailed(response, ct);
        return (await response.Content.ReadFromJsonAsync(WireJson.Default.JobStateView, ct))!;
    }

    public async Task ExtendJobAsync(ExtendJobRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/instance/jobs/extend", request, WireJson.Default.ExtendJobRequest, ct);
        await ThrowIfFailed(response, ct);
    }

    public async Task<WebEndpointResponse> OpenWebAsync(WebEndpointRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/instance/jobs/web", request, WireJson.Default.WebEndpointRequest, ct);
        await ThrowIfFailed(response, ct);
        return (await response.Content.ReadFromJsonAsync(WireJson.Default.WebEndpointResponse, ct))!;
    }

    public async Task PostStatusAsync(string id, TaskStatusRequest status, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/instance/tasks/{id}/status", status, WireJson.Default.TaskStatusRequest, ct);
        await ThrowIfFailed(response, ct);
    }

    /// <summary>The server's wire error, passed on as it is (it is already in the user's words).</summary>
    private static async Task ThrowIfFailed(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        WireError? error = null;
        try { error = await response.Content.ReadFromJsonAsync(WireJson.Default.WireError, ct); } catch (System.Text.Json.JsonException) { }
        throw new ImException((int)response.StatusCode, error?.Why ?? $"the server answered {(int)response.StatusCode}", error?.ErrorCode);
    }
}
