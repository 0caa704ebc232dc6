using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using UcloudIm.Configuration;
using UcloudIm.Contracts;

namespace UcloudIm.Server.Core;

/// <summary>Core refused or could not be reached. The message says which, for the admin.</summary>
public sealed class CoreException(string message, int? status = null) : Exception(message)
{
    public int? Status { get; } = status;
}

/// <summary>
/// Calls from the provider to Core. The provider's access token comes from the refresh token in server.yml
/// and is renewed when less than 3 minutes of it are left. Only the server holds these credentials.
/// </summary>
public sealed class CoreClient(HttpClient http, ImConfig config, TimeProvider time)
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(3);
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private (string Token, DateTimeOffset Expires)? _access;

    public Task ApproveConnectionAsync(string username, CancellationToken ct) =>
        PostAsync("/api/providers/integration/control/approveConnection", new UsernameRequest(username), ct);

    public Task ClearConnectionAsync(string username, CancellationToken ct) =>
        PostAsync("/api/providers/integration/control/clearConnection", new UsernameRequest(username), ct);

    /// <summary>Registers drives; Core's 409 (already registered) is success here.</summary>
    public Task RegisterDrivesAsync(System.Text.Json.Nodes.JsonArray items, CancellationToken ct) =>
        PostAsync("/api/files/collections/control/register",
            new StringContent(new System.Text.Json.Nodes.JsonObject { ["items"] = items }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            acceptConflict: true, ct);

    /// <summary>Makes a task in Core for the user to watch; returns Core's id for it.</summary>
    public async Task<string> CreateTaskAsync(string username, string title, string body, CancellationToken ct)
    {
        var request = new System.Text.Json.Nodes.JsonObject
        {
            ["user"] = username, ["title"] = title, ["body"] = body, ["progress"] = "Starting",
            ["canPause"] = false, ["canCancel"] = true, ["icon"] = "copy",
        };
        var answer = await PostForJsonAsync("/api/tasks", request, ct);
        var id = answer?["taskId"] ?? answer?["id"] ?? answer?["responses"]?[0]?["taskId"];
        return id?.ToString() is { Length: > 0 } s ? s : throw new CoreException("Core's answer to /api/tasks held no task id");
    }

    public Task PostTaskStatusAsync(string coreTaskId, string state, string title, string? progress, int? percentage, DateTimeOffset at, CancellationToken ct) =>
        PostForJsonAsync("/api/tasks/postStatus", new System.Text.Json.Nodes.JsonObject
        {
            ["update"] = new System.Text.Json.Nodes.JsonObject
            {
                ["taskId"] = coreTaskId, ["modifiedAt"] = at.ToUnixTimeMilliseconds(),
                ["newStatus"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["state"] = state, ["title"] = title, ["body"] = progress, ["progress"] = progress, ["progressPercentage"] = percentage,
                },
            },
        }, ct);

    /// <summary>A drive as Core knows it (null when Core has no such drive).</summary>
    public async Task<Drive?> RetrieveDriveAsync(string id, CancellationToken ct)
    {
        var token = await AccessTokenAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/files/collections/control/retrieve?id={Uri.EscapeDataString(id)}&includeOthers=true");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Send(request, ct);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode)
            throw new CoreException($"Core answered {(int)response.StatusCode} to a drive lookup: {await Why(response, ct)}", (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync(WireJson.Default.Drive, ct);
    }

    public Task<System.Text.Json.Nodes.JsonNode?> PostJsonAsync(string path, System.Text.Json.Nodes.JsonObject body, CancellationToken ct) =>
        PostForJsonAsync(path, body, ct);

    private async Task<System.Text.Json.Nodes.JsonNode?> PostForJsonAsync(string path, System.Text.Json.Nodes.JsonObject body, CancellationToken ct)
    {
        var token = await AccessTokenAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Send(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new CoreException($"Core answered {(int)response.StatusCode} to {path}: {await Why(response, ct)}", (int)response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(ct);
        try { return text.Length == 0 ? null : System.Text.Json.Nodes.JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { throw new CoreException($"Core's answer to {path} is not JSON"); }
    }

    private Task PostAsync(string path, UsernameRequest body, CancellationToken ct) =>
        PostAsync(path, JsonContent.Create(body, WireJson.Default.UsernameRequest), acceptConflict: false, ct);

    private async Task PostAsync(string path, HttpContent content, bool acceptConflict, CancellationToken ct)
    {
        var token = await AccessTokenAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Send(request, ct);
        if (!response.IsSuccessStatusCode && !(acceptConflict && response.StatusCode == System.Net.HttpStatusCode.Conflict))
            throw new CoreException($"Core answered {(int)response.StatusCode} to {path}: {await Why(response, ct)}", (int)response.StatusCode);
    }

    public async Task<string> AccessTokenAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_access is { } a && a.Expires - now > RenewBefore) return a.Token;
        await _refreshLock.WaitAsync(ct);
        try
        {
            if (_access is { } b && b.Expires - now > RenewBefore) return b.Token;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/providers/refresh")
            {
                Content = JsonContent.Create(new BulkRequest<RefreshTokenItem>([new RefreshTokenItem(config.Server!.RefreshToken)]),
                    WireJson.Default.BulkRequestRefreshTokenItem),
            };
            using var response = await Send(request, ct);
            if (!response.IsSuccessStatusCode)
                throw new CoreException($"Core refused the provider's refresh token ({(int)response.StatusCode}: {await Why(response, ct)}); check refreshToken in server.yml",
                    (int)response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync(WireJson.Default.BulkResponseAccessTokenResponse, ct);
            var token = (body?.Responses is { Count: > 0 } r ? r[0].AccessToken : null) ?? throw new CoreException("Core's refresh answer held no access token");
            // Core signed it; we only read its expiry to know when to renew.
            var expires = new JsonWebToken(token).ValidTo;
            _access = (token, expires == DateTime.MinValue ? now.AddMinutes(5) : new DateTimeOffset(expires, TimeSpan.Zero));
            return token;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CoreException($"Core at {config.Provider.Ucloud.ToUri()} cannot be reached: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CoreException($"Core at {config.Provider.Ucloud.ToUri()} did not answer in time");
        }
    }

    private static async Task<string> Why(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length > 300 ? text[..300] : text;
    }
}
