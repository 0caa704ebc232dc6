using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Configuration;
using UcloudIm.Hosting;
using UcloudIm.Persistence;
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

        // Interactive applications: the gateway trades a one-time link for a session, and asks where a session leads.
        app.MapPost("/internal/apps/authorize", async (AppAuthorizeRequest body, ImConfig config, WebEndpointsRepository web, CancellationToken ct) =>
        {
            var lifetime = config.Gateway.Apps?.SessionLifetime ?? throw ImException.NotFound("No interactive applications here");
            var session = await web.AuthorizeAsync(body.Domain, body.Token, lifetime, ct)
                ?? throw ImException.Forbidden("This link is not valid: it was used already, it expired (links last 5 minutes), or the job is not running. Open the application from UCloud again.");
            return TypedResults.Ok(new AppSession(session, (long)lifetime.TotalSeconds));
        });
        app.MapPost("/internal/apps/resolve", async (AppResolveRequest body, WebEndpointsRepository web, CancellationToken ct) =>
        {
            var target = await web.ResolveAsync(body.Domain, body.Session, ct)
                ?? throw ImException.Forbidden("No valid session for this application: it expired, it belongs to another application, or the job has ended. Open the application from UCloud again.");
            return TypedResults.Ok(new AppTarget(target.Host, target.Port, target.SessionExpires.ToUnixTimeMilliseconds()));
        });

        var cli = app.MapGroup("/cli");
        cli.MapGet("/users", async (ConnectionService connections, CancellationToken ct) =>
            TypedResults.Ok(await connections.ListAsync(ct)));
        cli.MapPost("/users", async (AddUserRequest body, ConnectionService connections, CancellationToken ct) =>
            TypedResults.Ok(await connections.AddAsync(body, ct)));
        cli.MapPost("/users/remove", async (RemoveUserRequest body, ConnectionService connections, CancellationToken ct) =>
            await connections.RemoveAsync(body.UcloudUsername, ct)
                ? Results.Ok(new Empty())
                : throw ImException.NotFound($"no mapping for UCloud user '{body.UcloudUsername}'"));
        cli.MapGet("/projects", async (Projects.ProjectService projects, CancellationToken ct) =>
            TypedResults.Ok(await projects.ListAsync(ct)));
        cli.MapPost("/projects", async (AddProjectRequest body, Projects.ProjectService projects, CancellationToken ct) =>
            TypedResults.Ok(await projects.AddAsync(body, ct)));
        cli.MapPost("/projects/remove", async (RemoveProjectRequest body, Projects.ProjectService projects, CancellationToken ct) =>
            await projects.RemoveAsync(body.UcloudProjectId, ct)
                ? Results.Ok(new Empty())
                : throw ImException.NotFound($"no mapping for project '{body.UcloudProjectId}'"));
        cli.MapPost("/instances/stop", async (UsernameRequest body, InstanceManager instances) =>
            await instances.StopAsync(body.Username, "stopped by an administrator")
                ? Results.Ok(new Empty())
                : throw ImException.NotFound($"no user instance is running for '{body.Username}'"));
        cli.MapGet("/status", (InstanceManager instances) => TypedResults.Ok(new ServerStatus(providerId, ServerHost.Version,
            instances.Running.Select(i => new InstanceInfo(i.Route.UcloudUsername, i.Route.Uid, i.Sudo.Id,
                i.StartedAt.ToUnixTimeMilliseconds(), i.LastActivity.ToUnixTimeMilliseconds(), i.Restarts)).ToList())));
    }
}
