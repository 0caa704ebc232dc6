using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Persistence;

namespace UcloudIm.Server.Apps;

/// <summary>
/// Interactive applications: a running job's web interface on <c>app-&lt;job&gt;-&lt;rank&gt;.&lt;domain&gt;</c>, or
/// its VNC server (behind websockify) at <c>/ucloud/&lt;provider&gt;/vnc/vnc-&lt;job&gt;-&lt;rank&gt;</c> on the
/// provider's own address (so VNC needs no wildcard DNS, and works in proxy mode too). The caller names only
/// its job, a rank and a port: the host is the job's own node, looked up in Slurm here, so an endpoint can
/// never be pointed at another machine or another user's job (the reference took any host:port, §12.4).
/// WEB: the browser gets a one-time, five-minute authorize link; the session cookie the gateway then sets
/// is a fresh secret. VNC: the URL carries a fresh session secret of its own (the reference's VNC token never
/// changed). Secrets are kept here only as hashes.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class WebEndpoints(ImConfig config, JobsRepository jobs, WebEndpointsRepository endpoints, CommandRunner runner, ILogger<WebEndpoints> log)
{
    public static readonly TimeSpan AuthorizeLifetime = TimeSpan.FromMinutes(5);

    /// <summary>How long a VNC URL works: gateway.apps.sessionLifetime, or 8 hours where there is no apps domain.</summary>
    public TimeSpan VncLifetime => config.Gateway.Apps?.SessionLifetime ?? TimeSpan.FromHours(8);

    public async Task<WebEndpointResponse> RegisterAsync(uint callerUid, WebEndpointRequest request, CancellationToken ct)
    {
        if (request.Kind is not ("WEB" or "VNC")) throw ImException.BadRequest($"No interface of kind '{request.Kind}'");
        var apps = config.Gateway.Apps;
        if (request.Kind == "WEB" && apps is null)
            throw new ImException(501, "This provider does not offer web interfaces (gateway.apps is not configured)", "NOT_SUPPORTED");
        if (request.Port is < 1024 or > 65535) throw ImException.BadRequest($"Port {request.Port} is not one a job can serve on (1024-65535)");
        if (request.Rank is < 0 or > 100_000) throw ImException.BadRequest($"Rank {request.Rank} is out of range");
        var job = await jobs.FindBySlurmIdAsync(request.SlurmId, ct);
        if (job is null || job.OwnerUid != callerUid) throw ImException.NotFound($"You have no job {request.SlurmId} here");
        if (job.State != "RUNNING") throw new ImException(409, $"Job {request.SlurmId} is not running ({job.State}); its interface opens once it runs", "CONFLICT");
        var nodes = await NodesAsync(request.SlurmId, ct);
        if (request.Rank >= nodes.Count) throw ImException.BadRequest($"Job {request.SlurmId} runs on {nodes.Count} node(s); there is no rank {request.Rank}");
        var label = $"{Slug(job.CoreId)}-{request.Rank.ToString(CultureInfo.InvariantCulture)}";
        var domain = request.Kind == "WEB" ? $"app-{label}.{apps!.Domain}" : VncKeyPrefix + label;
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        await endpoints.RegisterAsync(domain, job.CoreId, callerUid, nodes[request.Rank], request.Port, token, AuthorizeLifetime, ct);
        LogRegistered(log, domain, request.SlurmId, nodes[request.Rank], request.Port);
        if (request.Kind == "VNC")
        {
            // noVNC cannot follow an authorize link; the URL holds the session itself.
            var session = await endpoints.AuthorizeAsync(domain, token, VncLifetime, ct)
                ?? throw new ImException(409, $"Job {request.SlurmId} stopped running while its VNC session was made", "CONFLICT");
            var ws = PublicUrls.WebSocketBase(config.Provider.SelfPublic.ToUri().ToString());
            return new WebEndpointResponse(domain, $"{ws}/ucloud/{config.Provider.Id}/vnc/{domain}?token={session}");
        }
        var port = apps!.PublicPort == 443 ? "" : ":" + apps.PublicPort.ToString(CultureInfo.InvariantCulture);
        return new WebEndpointResponse(domain, $"https://{domain}{port}/ucloud/{config.Provider.Id}/authorize-app?token={token}");
    }

    /// <summary>VNC endpoints are keyed <c>vnc-&lt;job&gt;-&lt;rank&gt;</c>: no dot, so never an app domain, and the other way round.</summary>
    public const string VncKeyPrefix = "vnc-";

    /// <summary>The job's nodes in rank order, from Slurm (squeue's list, expanded by scontrol).</summary>
    private async Task<IReadOnlyList<string>> NodesAsync(long slurmId, CancellationToken ct)
    {
        var list = await runner.RunAsync(new ExternalCommand(config.Slurm.Squeue, ["-h", "-a", "-j", slurmId.ToString(CultureInfo.InvariantCulture), "-o", "%N"]), ct);
        var compact = list.Stdout.Trim();
        if (!list.Succeeded || compact.Length == 0)
            throw new ImException(503, $"Slurm did not say where job {slurmId} runs; try again shortly", "UNAVAILABLE");
        var expanded = await runner.RunAsync(new ExternalCommand(config.Slurm.Scontrol, ["show", "hostnames", compact]), ct);
        if (!expanded.Succeeded) throw new ImException(503, $"Slurm could not expand the node list of job {slurmId}; try again shortly", "UNAVAILABLE");
        return expanded.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>A DNS label from Core's job id: lower-case letters, digits and '-', at most 40.</summary>
    internal static string Slug(string coreId)
    {
        var s = LabelUnsafe().Replace(coreId.ToLowerInvariant(), "-").Trim('-');
        return s.Length == 0 ? "job" : s[..Math.Min(s.Length, 40)].TrimEnd('-');
    }

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex LabelUnsafe();

    [LoggerMessage(1, LogLevel.Information, "interactive endpoint {Domain} → job {SlurmId} on {Host}:{Port}")]
    private static partial void LogRegistered(ILogger logger, string domain, long slurmId, string host, int port);
}
