using System.Runtime.Versioning;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Gateway.Auth;
using UcloudIm.Gateway.Routing;
using UcloudIm.Gateway.ServerLink;
using UcloudIm.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace UcloudIm.Gateway.Forwarding;

/// <summary>
/// The gateway's one request path: check the token, decide the route, find (or start) the user's instance,
/// and forward with the gateway's own identity headers.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class GatewayPipeline(
    GatewayOptions options,
    Router router,
    CoreTokenValidator tokens,
    ServerClient server,
    HttpMessageInvoker serverInvoker,
    InstanceInvokers instances,
    InFlightRequests inFlight,
    IHttpForwarder forwarder,
    ILogger<GatewayPipeline> log,
    Apps.AppProxy apps,
    Downloads.FileDownloads downloads)
{
    /// <summary>449: "the user is not ready"; Core then calls integration/init and retries.</summary>
    public const int UserNotReady = 449;

    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(10) };

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        // Whatever WebSocket is forwarded below (an upload, a terminal, a job's web interface) is read in pieces
        // as large as have arrived, not one TLS record at a time.
        GatheringUpgrade.Install(context);
        // A job's web interface, on its own domain: sessions, not Core's tokens.
        if (apps.DomainOf(request.Host) is { } appDomain)
        {
            await apps.InvokeAsync(context, appDomain);
            return;
        }
        // A job's VNC server: a WebSocket with the session in its URL.
        if (apps.VncKeyOf(request.Path) is { } vncKey)
        {
            await apps.InvokeVncAsync(context, vncKey);
            return;
        }
        var decision = router.Decide(request.Path.Value ?? "/", Single(request.Headers["ucloud-username"]), Single(request.Query["usernameHint"]), request.Method);
        if (decision.Kind == RouteKind.NotFound)
        {
            await WireErrors.WriteAsync(context, 404, "Not found", "NOT_FOUND");
            return;
        }

        // A browser's download has no Core token: its signed link is checked by the user's instance.
        var (token, problem) = decision.Browser ? (null, null) : await tokens.ValidateAsync(Single(request.Headers.Authorization));
        if (token is null && !decision.Browser)
        {
            LogRefused(log, request.Path, problem ?? "invalid token");
            await WireErrors.WriteAsync(context, 401, "Unauthorized", "UNAUTHORIZED");
            return;
        }

        switch (decision.Kind)
        {
            case RouteKind.BadRequest:
                await WireErrors.WriteAsync(context, 400, decision.Problem!, "BAD_REQUEST");
                return;
            case RouteKind.Server:
                await ForwardAsync(context, serverInvoker, new IdentityTransformer(token!.EncodedPayload, null, null), "server");
                return;
        }

        var username = decision.Username!;
        InstanceRoute? route;
        try
        {
            route = await server.RouteAsync(username, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            // The server is restarting or down: 503 makes Core try again, and says so to a person.
            LogServerUnavailable(log, e.Message);
            await WireErrors.WriteAsync(context, 503, "The provider is temporarily unavailable, try again shortly", "UNAVAILABLE");
            return;
        }
        if (route is null)
        {
            // A browser cannot do Core's init-and-retry: its requests always wait for the instance.
            if (!options.HoldUntilReady && !decision.Browser)
            {
                context.Response.StatusCode = UserNotReady;
                return;
            }
            using var hold = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            hold.CancelAfter(options.HoldTimeout);
            try
            {
                var (spawned, failure) = await server.SpawnAsync(username, hold.Token);
                if (failure is not null)
                {
                    context.Response.StatusCode = failure.Status;
                    context.Response.ContentType = "application/json; charset=utf-8";
                    await context.Response.WriteAsync(failure.Body, context.RequestAborted);
                    return;
                }
                route = spawned;
            }
            catch (HttpRequestException e)
            {
                LogServerUnavailable(log, e.Message);
                await WireErrors.WriteAsync(context, 503, "The provider is temporarily unavailable, try again shortly", "UNAVAILABLE");
                return;
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // Not ready in time: fall back to the protocol's own answer, and Core retries.
                context.Response.StatusCode = UserNotReady;
                return;
            }
        }
        using var busy = inFlight.Enter(username);
        if (decision.Download)
        {
            await downloads.ServeAsync(context, route!);
            return;
        }
        await ForwardAsync(context, instances.For(route!),
            new IdentityTransformer(token?.EncodedPayload, route!.Secret, UsernameCodec.Encode(username)), username);
    }

    private async Task ForwardAsync(HttpContext context, HttpMessageInvoker invoker, HttpTransformer transformer, string target)
    {
        var error = await forwarder.SendAsync(context, "http://localhost", invoker, RequestConfig, transformer);
        if (error == ForwarderError.None) return;
        var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        LogForwardFailed(log, target, error, failure?.Message);
        if (context.Response.HasStarted) return;
        // The instance went away between lookup and forward (reaped or crashed): 503 makes Core init and retry.
        var status = error is ForwarderError.Request or ForwarderError.RequestTimedOut ? 503 : 502;
        await WireErrors.WriteAsync(context, status, "The service is temporarily unavailable, try again", "UNAVAILABLE");
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : values[0];

    [LoggerMessage(1, LogLevel.Warning, "refused {Path}: {Problem}")]
    private static partial void LogRefused(ILogger logger, PathString path, string problem);

    [LoggerMessage(3, LogLevel.Error, "the server cannot be reached: {Message}")]
    private static partial void LogServerUnavailable(ILogger logger, string message);

    [LoggerMessage(2, LogLevel.Warning, "forwarding to {Target} failed: {Error} {Message}")]
    private static partial void LogForwardFailed(ILogger logger, string target, ForwarderError error, string? message);
}
