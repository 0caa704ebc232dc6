using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using UcloudIm.Contracts;
using UcloudIm.Hosting;

namespace UcloudIm.Gateway.ServerLink;

/// <summary>The server's answer to a spawn that failed: passed to the caller as it is.</summary>
public sealed record SpawnFailure(int Status, string Body);

/// <summary>
/// The gateway's questions to the server, over its unix socket. The gateway holds no database, no Core
/// credentials and no sudo right: it only asks where a user's instance is.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ServerClient(HttpMessageInvoker server)
{
    /// <summary>The route of the user's running instance, or null when none runs.</summary>
    public async Task<InstanceRoute?> RouteAsync(string ucloudUsername, CancellationToken ct)
    {
        using var response = await PostAsync("/internal/route", ucloudUsername, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(WireJson.Default.InstanceRoute, ct);
    }

    /// <summary>Asks the server to start the instance and waits for it; a refusal comes back as it is.</summary>
    public async Task<(InstanceRoute? Route, SpawnFailure? Failure)> SpawnAsync(string ucloudUsername, CancellationToken ct)
    {
        using var response = await PostAsync("/internal/spawn", ucloudUsername, ct);
        if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync(WireJson.Default.InstanceRoute, ct), null);
        return (null, new SpawnFailure((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
    }

    /// <summary>Tells the server these users' instances are busy (long downloads, open streams).</summary>
    public async Task ReportActivityAsync(IReadOnlyList<string> usernames, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://ucloud-im-server/internal/activity")
        {
            Content = JsonContent.Create(new ActivityReport(usernames), WireJson.Default.ActivityReport),
        };
        using var response = await server.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A session for an app domain in exchange for its one-time link; the refusal's reason otherwise.</summary>
    public async Task<(AppSession? Session, string? Refusal)> AuthorizeAppAsync(string domain, string token, CancellationToken ct)
    {
        using var response = await server.SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://ucloud-im-server/internal/apps/authorize")
        {
            Content = JsonContent.Create(new AppAuthorizeRequest(domain, token), WireJson.Default.AppAuthorizeRequest),
        }, ct);
        if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync(WireJson.Default.AppSession, ct), null);
        return (null, await WhyAsync(response, ct));
    }

    /// <summary>Where a session on an app domain leads; the refusal's reason otherwise.</summary>
    public async Task<(AppTarget? Target, string? Refusal)> ResolveAppAsync(string domain, string session, CancellationToken ct)
    {
        using var response = await server.SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://ucloud-im-server/internal/apps/resolve")
        {
            Content = JsonContent.Create(new AppResolveRequest(domain, session), WireJson.Default.AppResolveRequest),
        }, ct);
        if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync(WireJson.Default.AppTarget, ct), null);
        return (null, await WhyAsync(response, ct));
    }

    private static async Task<string> WhyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if ((int)response.StatusCode >= 500) throw new HttpRequestException($"the server answered {(int)response.StatusCode}");
        try
        {
            return (await response.Content.ReadFromJsonAsync(WireJson.Default.WireError, ct))?.Why ?? "refused";
        }
        catch (System.Text.Json.JsonException)
        {
            return "refused";
        }
    }

    private Task<HttpResponseMessage> PostAsync(string path, string ucloudUsername, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://ucloud-im-server" + path)
        {
            Content = JsonContent.Create(new UsernameRequest(ucloudUsername), WireJson.Default.UsernameRequest),
        };
        return server.SendAsync(request, ct);
    }

    public static HttpMessageInvoker CreateInvoker(string socketPath, uint expectedServerUid) =>
        new(UnixSocketHttp.CreateHandler(socketPath, expectedServerUid), disposeHandler: true);
}
