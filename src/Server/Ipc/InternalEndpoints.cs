using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Server.Connections;
using UcloudIm.Server.Instances;

namespace UcloudIm.Server.Ipc;

/// <summary>What the gateway and the CLI ask the server over its unix socket. Never reachable from outside.</summary>
[SupportedOSPlatform("linux")]
internal static class InternalEndpoints
{
    public static void MapInternalEndpoints(this IEndpointRouteBuilder app, string providerId)
    {
        app.MapGet("/health", () => TypedResults.Text("ok"));

        // The gateway asks on every request; the lookup is the activity the idle reaper counts.
        app.MapPost("/internal/route", (UsernameRequest body, InstanceManager instances) =>
            instances.Resolve(body.Username) is { } route ? Results.Ok(route) : Results.NotFound());

        // Requests still in flight at the gateway keep their instances from being reaped.
        app.MapPost("/internal/activity", (ActivityReport body, InstanceManager instances) =>
        {
            foreach (var user in body.Usernames) instances.Resolve(user);
            return Results.Ok(new Empty());
        });

        // The gateway holds a first request while the instance starts (gateway.holdUntilReady).
        app.MapPost("/internal/spawn", async (UsernameRequest body, InstanceManager instances, CancellationToken ct) =>
            TypedResults.Ok(await instances.EnsureRunningAsync(body.Username, ct)));

        var cli = app.MapGroup("/cli");
        cli.MapGet("/users", async (ConnectionService connections, CancellationToken ct) =>
            TypedResults.Ok(await connections.ListAsync(ct)));
        cli.MapPost("/users", async (AddUserRequest body, ConnectionService connections, CancellationToken ct) =>
            TypedResults.Ok(await connections.AddAsync(body, ct)));
        cli.MapPost("/users/remove", async (RemoveUserRequest body, ConnectionService connections, CancellationToken ct) =>
            await connections.RemoveAsync(body.UcloudUsername, ct)
                ? Results.Ok(new Empty())
                : throw ImException.NotFound($"no mapping for UCloud user '{body.UcloudUsername}'"));
        cli.MapPost("/instances/stop", async (UsernameRequest body, InstanceManager instances) =>
            await instances.StopAsync(body.Username, "stopped by an administrator")
                ? Results.Ok(new Empty())
                : throw ImException.NotFound($"no user instance is running for '{body.Username}'"));
        cli.MapGet("/status", (InstanceManager instances) => TypedResults.Ok(new ServerStatus(providerId, ServerHost.Version,
            instances.Running.Select(i => new InstanceInfo(i.Route.UcloudUsername, i.Route.Uid, i.Sudo.Id,
                i.StartedAt.ToUnixTimeMilliseconds(), i.LastActivity.ToUnixTimeMilliseconds(), i.Restarts)).ToList())));
    }
}
