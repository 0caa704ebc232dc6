using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Slurm;
using UcloudIm.Unix;
using UcloudIm.UserInstance.Tasks;

namespace UcloudIm.UserInstance.Jobs;

/// <summary>
/// "Starting a Job": the job is checked, its script written into a job folder in the user's home and
/// submitted with sbatch as the user; the server's monitor takes it from there. Slurm's refusals come back
/// as 400s in Slurm's own words.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class JobEndpoints
{
    public static void MapJobEndpoints(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me)
    {
        var prefix = $"/ucloud/{bootstrap.ProviderId}/jobs";
        var runner = new CommandRunner();
        app.MapPost(prefix, async context =>
        {
            var settings = bootstrap.Jobs ?? throw ImException.BadRequest("This provider runs no jobs (services.slurm is not configured)");
            var ids = new JsonArray();
            foreach (var item in await RequestJson.ItemsAsync(context.Request, context.RequestAborted))
            {
                var job = RequestJson.Object(item, "A job");
                var slurmId = await SubmitAsync(job, settings, bootstrap, me, runner, context.RequestServices.GetService<ServerChannel>(), context.RequestAborted);
                ids.Add((JsonNode)new JsonObject { ["id"] = slurmId.ToString(CultureInfo.InvariantCulture) });
            }
            await context.Response.WriteAsync(new JsonObject { ["responses"] = ids }.ToJsonString(), context.RequestAborted);
        });
        app.MapPost(prefix + "/terminate", async context =>
        {
            var settings = bootstrap.Jobs ?? throw ImException.BadRequest("This provider runs no jobs");
            var answers = new JsonArray();
            foreach (var item in await RequestJson.ItemsAsync(context.Request, context.RequestAborted))
            {
                var id = RequestJson.Object(item, "A job")["providerGeneratedId"]?.ToString();
                if (id is null || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    throw ImException.BadRequest("The job has no Slurm id (providerGeneratedId)");
                var r = await runner.RunAsync(new ExternalCommand(settings.Scancel, [id]), context.RequestAborted);
                if (!r.Succeeded) throw ImException.BadRequest($"Slurm would not cancel job {id}: {SlurmMessage(r.Stderr)}");
                answers.Add((JsonNode)new JsonObject());
            }
            await context.Response.WriteAsync(new JsonObject { ["responses"] = answers }.ToJsonString(), context.RequestAborted);
        });
    }

    /// <summary>jobs/extend: <c>{items:[{job, requestedTime:{hours,minutes,seconds}}]}</c>; the server does it (operator rights).</summary>
    public static void MapJobExtension(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap)
    {
        app.MapPost($"/ucloud/{bootstrap.ProviderId}/jobs/extend", async context =>
        {
            var server = context.RequestServices.GetService<ServerChannel>() ?? throw new ImException(503, "Extensions are not available", "UNAVAILABLE");
            var answers = new JsonArray();
            foreach (var node in await RequestJson.ItemsAsync(context.Request, context.RequestAborted))
            {
                var item = RequestJson.Object(node, "An extension");
                var id = RequestJson.OptionalObject(item, "job")?["providerGeneratedId"]?.ToString();
                if (id is null || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var slurmId))
                    throw ImException.BadRequest("The job has no Slurm id (providerGeneratedId)");
                // Each part bounded, so the sum cannot overflow; the server checks the total against its limits.
                var t = RequestJson.OptionalObject(item, "requestedTime");
                var minutes = RequestJson.Integer(t, "hours", 0, 0, MaxTimeParts) * 60 + RequestJson.Integer(t, "minutes", 0, 0, MaxTimeParts)
                    + (RequestJson.Integer(t, "seconds", 0, 0, MaxTimeParts) + 59) / 60;
                await server.ExtendJobAsync(new ExtendJobRequest(slurmId, minutes), context.RequestAborted);
                answers.Add((JsonNode)new JsonObject());
            }
            await context.Response.WriteAsync(new JsonObject { ["responses"] = answers }.ToJsonString(), context.RequestAborted);
        });
    }

    /// <summary>
    /// jobs/interactiveSession for WEB and VNC interfaces (SHELL: <see cref="Terminals.TerminalEndpoints"/>): the job writes the port it listens on to
    /// <c>allocated-port.txt</c> in its job folder (read here, as the user); the server makes the endpoint on
    /// the job's own node and answers with the one-time link the browser is sent to (WEB), or the WebSocket URL
    /// noVNC connects to (VNC), given with the job's own VNC password from <c>vnc-password.txt</c>.
    /// </summary>
    public static void MapInteractiveSessions(this IEndpointRouteBuilder app, InstanceBootstrap bootstrap, UnixUser me)
    {
        app.MapPost($"/ucloud/{bootstrap.ProviderId}/jobs/interactiveSession", async context =>
        {
            var settings = bootstrap.Jobs ?? throw ImException.BadRequest("This provider runs no jobs");
            var server = context.RequestServices.GetService<ServerChannel>() ?? throw new ImException(503, "Interactive sessions are not available", "UNAVAILABLE");
            var answers = new JsonArray();
            foreach (var node in await RequestJson.ItemsAsync(context.Request, context.RequestAborted))
            {
                var item = RequestJson.Object(node, "A session request");
                var type = item["sessionType"]?.ToString();
                if (type is not ("WEB" or "VNC" or "SHELL")) throw ImException.BadRequest($"Session type '{type}' is not offered here; only WEB, VNC and SHELL");
                if (type == "SHELL" && !bootstrap.Terminals) throw ImException.BadRequest("Terminals are turned off on this provider");
                // UCloud's dynamic interfaces (a job announcing more ports as it runs) are not made here: asking for
                // one is refused rather than answered with the job's main interface.
                if (item["target"] is { } target && target.ToString() is { Length: > 0 } named)
                    throw ImException.BadRequest($"The job has no interface '{(named.Length > 40 ? named[..40] + "…" : named)}'; open it without a target");
                var job = RequestJson.Object(item["job"], "The job");
                var coreId = job["id"]?.ToString();
                var id = job["providerGeneratedId"]?.ToString() ?? RequestJson.OptionalObject(job, "status")?["providerGeneratedId"]?.ToString();
                if (coreId is null || !coreId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || id is null
                    || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var slurmId))
                    throw ImException.BadRequest("The job has no id or no Slurm id (providerGeneratedId)");
                var rank = (int)RequestJson.Integer(item, "rank", 0, 0, MaxNodes - 1);
                // The server says whose job it is before anything is read; its folder is named by Core's id as the server knows it.
                var tracked = await server.JobStateAsync(slurmId, context.RequestAborted);
                var folder = FolderOf(tracked, me, settings.JobFolder, tracked.CoreJobId);
                if (type == "SHELL")
                {
                    answers.Add((JsonNode)Terminals.TerminalEndpoints.OpenInJob(context, bootstrap, tracked, rank, folder, me));
                    continue;
                }
                var application = RequestJson.OptionalObject(job, "specification") is { } specification ? RequestJson.OptionalObject(specification, "application") : null;
                if (settings.Applications.FirstOrDefault(a => a.Name == application?["name"]?.ToString() && a.Version == application?["version"]?.ToString()) is { } known
                    && known.Interface?.Kind != type)
                    throw ImException.BadRequest($"{known.Title} has no {(type == "WEB" ? "web" : "VNC")} interface");
                var port = await AllocatedPortAsync(Path.Combine(folder, "allocated-port.txt"), tracked, context.RequestAborted);
                var opened = await server.OpenWebAsync(new WebEndpointRequest(slurmId, rank, port, type), context.RequestAborted);
                // UCloud's OpenSession, as is: Core wraps it (with the provider's id and domain) for the browser.
                var session = new JsonObject { ["type"] = type.ToLowerInvariant(), ["jobId"] = coreId, ["rank"] = rank, ["domainOverride"] = "" };
                if (type == "WEB") session["redirectClientTo"] = opened.RedirectClientTo;
                else
                {
                    session["url"] = opened.RedirectClientTo;
                    session["password"] = VncPassword(Path.Combine(folder, "vnc-password.txt"));
                }
                answers.Add((JsonNode)session);
            }
            await context.Response.WriteAsync(new JsonObject { ["responses"] = answers }.ToJsonString(), context.RequestAborted);
        });
    }

    /// <summary>A few bytes the job wrote into its folder: never a FIFO that would block, nor a file without end.</summary>
    private static string SmallText(string path) => System.Text.Encoding.UTF8.GetString(FileSystemCalls.ReadSmallRegularFile(path, 1024));

    /// <summary>The job's own VNC password (the job script made it); null when the application set none.</summary>
    private static string? VncPassword(string path)
    {
        try
        {
            var text = SmallText(path).Trim();
            return text.Length is > 0 and <= 64 && text.All(char.IsAsciiLetterOrDigit) ? text : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnixIOException { Errno: FileSystemCalls.EFBIG or FileSystemCalls.ENXIO })
        {
            return null;
        }
    }

    /// <summary>
    /// How long an open waits for a running job's script to write its port. Slurm says RUNNING a moment before the
    /// script's first line runs, and UCloud shows the job's "open" button at RUNNING: the first click comes then.
    /// </summary>
    private static readonly TimeSpan PortWait = TimeSpan.FromSeconds(10);

    private static async Task<int> AllocatedPortAsync(string path, JobStateView job, CancellationToken ct)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var text = PortText(path);
        // Waiting is for the moment between RUNNING and the script's start; a queued job's interface is far off.
        if (text is null && job.State != "RUNNING")
            throw new ImException(409, $"Job {job.SlurmId} is {job.State}, not running yet: its interface opens once it runs", "CONFLICT");
        while (text is null)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(start) >= PortWait)
                throw new ImException(409, $"The application has not said which port it listens on {PortWait.TotalSeconds:0} s after its job started running (allocated-port.txt in its job folder); its stdout.txt and stderr.txt say why, or try again in a moment", "CONFLICT");
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            text = PortText(path);
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            throw ImException.BadRequest($"allocated-port.txt holds '{(text.Length > 20 ? text[..20] + "…" : text)}', not a port number");
        return port;
    }

    /// <summary>What allocated-port.txt says; null while it is missing or empty (a script may still be writing it; the prelude renames a whole one into place).</summary>
    private static string? PortText(string path)
    {
        try
        {
            return SmallText(path).Trim() is { Length: > 0 } text ? text : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnixIOException e) when (e.Errno is FileSystemCalls.EFBIG or FileSystemCalls.ENXIO)
        {
            throw ImException.BadRequest($"allocated-port.txt in the job folder is {e.Reason}, not a port number");
        }
    }

    private static async Task<long> SubmitAsync(JsonObject job, JobSettings settings, InstanceBootstrap bootstrap, UnixUser me, CommandRunner runner, ServerChannel? server, CancellationToken ct)
    {
        var coreId = job["id"]?.ToString();
        if (string.IsNullOrEmpty(coreId) || coreId.Length > 64 || !coreId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw ImException.BadRequest("The job's id is missing or not a plain identifier");
        var spec = job["specification"] as JsonObject ?? throw ImException.BadRequest("The job has no specification");
        var productName = RequestJson.OptionalObject(spec, "product")?["id"]?.ToString();
        var product = settings.Products.FirstOrDefault(p => p.Name == productName)
            ?? throw ImException.BadRequest($"This provider has no machine '{productName}'");
        var application = RequestJson.OptionalObject(spec, "application");
        var appName = application?["name"]?.ToString();
        var appVersion = application?["version"]?.ToString();
        var app = settings.Applications.FirstOrDefault(a => a.Name == appName && (appVersion is null || a.Version == appVersion))
            ?? throw ImException.BadRequest($"This provider has no application '{appName}' {appVersion}".TrimEnd());
        var time = RequestJson.OptionalObject(spec, "timeAllocation");
        var limit = time is null ? TimeSpan.FromHours(1)
            : TimeSpan.FromSeconds(RequestJson.Integer(time, "hours", 0, 0, MaxTimeParts) * 3600 + RequestJson.Integer(time, "minutes", 0, 0, MaxTimeParts) * 60
                + RequestJson.Integer(time, "seconds", 0, 0, MaxTimeParts));
        if (limit <= TimeSpan.Zero) throw ImException.BadRequest("The job's time allocation must be positive");
        var nodes = (int)RequestJson.Integer(spec, "replicas", 1, 1, MaxNodes);
        var sshEnabled = spec["sshEnabled"] switch
        {
            null => false,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw ImException.BadRequest("The job's sshEnabled must be true or false"),
        };

        string script;
        var jobRoot = Path.Combine(me.Home, settings.JobFolder);
        try
        {
            var values = JobScript.Values(app, spec["parameters"] as JsonObject);
            // A project's job runs in the project's drive and is charged to the project's account; the server
            // answers only if our user is in the project's group.
            var projectId = RequestJson.OptionalObject(job, "owner")?["project"]?.ToString() is { Length: > 0 } p ? p : null;
            var project = projectId is null ? null
                : await (server ?? throw new ImException(503, "This instance cannot reach the server to look up the project", "UNAVAILABLE")).ProjectAsync(projectId, ct);
            if (project is not null) jobRoot = Path.Combine(project.Folder ?? me.Home, settings.JobFolder);
            var folder = Path.Combine(jobRoot, coreId);
            var account = project is not null ? project.Account
                : settings.AccountPattern?.Replace("#{localUsername}", me.Name, StringComparison.Ordinal)
                    .Replace("#{ucloudUsername}", bootstrap.UcloudUsername, StringComparison.Ordinal);
            if (account is not null) await CheckAssociationAsync(settings, me, account, project, runner, ct);
            script = JobScript.Header(coreId, product, account, nodes, limit, folder, app) + JobScript.Render(app, values) + "\n";
            Directory.CreateDirectory(folder, (UnixFileMode)0b111_111_000);
            await File.WriteAllTextAsync(Path.Combine(folder, "job.sbatch"), script, ct);
            var r = await runner.RunAsync(new ExternalCommand(settings.Sbatch, ["--parsable", Path.Combine(folder, "job.sbatch")]), ct);
            if (!r.Succeeded) throw ImException.BadRequest($"Slurm refused the job: {SlurmMessage(r.Stderr)}");
            var idText = r.Stdout.Trim().Split(';')[0];
            if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var slurmId))
                throw new ImException(502, $"sbatch answered '{r.Stdout.Trim()}', not a job id", "SLURM");
            await File.WriteAllTextAsync(Path.Combine(folder, "slurm-id"), idText + "\n", ct);
            try
            {
                if (server is null) throw new HttpRequestException("no server channel");
                await server.TrackJobAsync(new TrackJobRequest(coreId, slurmId, folder, project?.UcloudProjectId, sshEnabled), ct);
            }
            catch (Exception e) when (e is HttpRequestException or ImException)
            {
                // A job nobody follows would never report: take it back rather than leave it untracked.
                await runner.RunAsync(new ExternalCommand(settings.Scancel, [idText]), CancellationToken.None);
                throw new ImException(503, $"The job could not be recorded ({e.Message}); it was cancelled, try again", "UNAVAILABLE");
            }
            return slurmId;
        }
        catch (JobRequestException e)
        {
            throw ImException.BadRequest(e.Message);
        }
        catch (UnauthorizedAccessException)
        {
            throw ImException.Forbidden($"The job folder cannot be made in {jobRoot}: permission denied");
        }
    }

    /// <summary>
    /// A tracked job's folder: the one recorded when it was submitted, or, for jobs tracked before folders were
    /// recorded, where those went (the user's home).
    /// </summary>
    internal static string FolderOf(JobStateView tracked, UnixUser me, string jobFolder, string coreId) =>
        tracked.Folder ?? Path.Combine(me.Home, jobFolder, coreId);

    /// <summary>Bounds on what a request may say, far beyond any real job, so that no sum or product overflows.</summary>
    private const int MaxNodes = 1000;
    private const long MaxTimeParts = 10_000_000;

    /// <summary>The mapped account must be one of the user's associations (sacctmgr lower-cases account names).</summary>
    private static async Task CheckAssociationAsync(JobSettings settings, UnixUser me, string account, ProjectWorkspace? project, CommandRunner runner, CancellationToken ct)
    {
        var r = await runner.RunAsync(new ExternalCommand(settings.Sacctmgr, ["-n", "-P", "show", "assoc", $"user={me.Name}", "format=account"]), ct);
        if (!r.Succeeded) return; // sbatch will say it in Slurm's words
        var accounts = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => a.ToLowerInvariant()).ToHashSet();
        if (!accounts.Contains(account.ToLowerInvariant()))
            throw ImException.BadRequest(project is null
                ? $"Your jobs here are charged to the Slurm account '{account}', but you ({me.Name}) have no association with it; ask the provider's administrators to add one"
                : $"This project's jobs are charged to the Slurm account '{account}', but you ({me.Name}) have no association with it; ask the provider's administrators to add one");
    }

    /// <summary>"sbatch: error: Batch job submission failed: Invalid account …" → "Invalid account …".</summary>
    internal static string SlurmMessage(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var last = lines.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? lines.LastOrDefault() ?? "no reason given";
        foreach (var prefix in new[] { "sbatch: error: ", "scancel: error: ", "Batch job submission failed: " })
        {
            if (last.StartsWith(prefix, StringComparison.Ordinal)) last = last[prefix.Length..];
        }
        return last.Replace("Batch job submission failed: ", "", StringComparison.Ordinal);
    }
}
