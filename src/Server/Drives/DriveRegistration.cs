using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;

namespace UcloudIm.Server.Drives;

/// <summary>
/// Tells Core about each mapped user's and each mapped project's drives, from the configured drive locators. A
/// drive's providerGeneratedId is "&lt;provider&gt;-&lt;category&gt;-&lt;locator&gt;-&lt;owner&gt;\n&lt;local path&gt;": the user
/// instance maps UCloud paths below it.
/// </summary>
internal sealed partial class DriveRegistration(ImConfig config, CoreClient core, ILogger<DriveRegistration> log)
{
    public async Task<int> RegisterAsync(Connection c, CancellationToken ct)
    {
        var items = new JsonArray();
        foreach (var l in config.FileSystems.UserLocators)
        {
            var path = l.PathFor(c.LocalUsername, c.UcloudUsername, c.Uid);
            if (path is null)
            {
                LogUnclean(log, l.Name, c.UcloudUsername);
                continue;
            }
            items.Add(Item(l, c.UcloudUsername, path, c.UcloudUsername, null));
        }
        if (items.Count == 0) return 0;
        await core.RegisterDrivesAsync(items, ct);
        return items.Count;
    }

    /// <summary>A project's drives belong to the project, and every member may read and write them (the group decides here).</summary>
    public async Task<int> RegisterAsync(ProjectMapping p, CancellationToken ct)
    {
        var items = new JsonArray();
        foreach (var (l, path) in ProjectDrives(config, p))
        {
            if (path is null)
            {
                LogUnclean(log, l.Name, p.UcloudProjectId);
                continue;
            }
            items.Add(Item(l, p.UcloudProjectId, path, null, p.UcloudProjectId));
        }
        if (items.Count == 0) return 0;
        await core.RegisterDrivesAsync(items, ct);
        return items.Count;
    }

    /// <summary>Each Project locator with the project's folder (null where a value would make the path unclean).</summary>
    public static IEnumerable<(DriveLocator Locator, string? Path)> ProjectDrives(ImConfig config, ProjectMapping p) =>
        config.FileSystems.ProjectLocators.Select(l => (l, l.PathForProject(p.LocalGroup, p.UcloudProjectId, p.Gid)));

    private JsonObject Item(DriveLocator l, string ownerRef, string path, string? createdBy, string? project) => new()
    {
        ["spec"] = new JsonObject
        {
            ["title"] = l.Title,
            ["product"] = new JsonObject { ["id"] = l.Category, ["category"] = l.Category, ["provider"] = config.Provider.Id },
        },
        ["providerGeneratedId"] = $"{config.Provider.Id}-{l.Category}-{l.Name}-{ownerRef}\n{path}",
        ["createdBy"] = createdBy,
        ["project"] = project,
        ["projectAllRead"] = project is not null,
        ["projectAllWrite"] = project is not null,
    };

    [LoggerMessage(60, LogLevel.Warning, "drive locator {Locator} gives no clean path for {Owner}; that drive is not registered")]
    private static partial void LogUnclean(ILogger logger, string locator, string owner);
}

/// <summary>At start, registers the drives of every active mapping and every project, so a locator added later reaches everyone.</summary>
internal sealed partial class DriveSync(ImConfig config, ConnectionsRepository connections, ProjectsRepository projects, DriveRegistration drives,
    TimeProvider time, ILogger<DriveSync> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.FileSystems.Locators.Count == 0) return;
        var now = time.GetUtcNow();
        foreach (var c in await connections.ListAsync(stoppingToken))
        {
            if (!c.IsActiveAt(now)) continue;
            await TryAsync(c.UcloudUsername, () => drives.RegisterAsync(c, stoppingToken));
        }
        if (!config.FileSystems.ProjectLocators.Any()) return;
        foreach (var p in await projects.ListAsync(stoppingToken))
        {
            await TryAsync($"project {p.Title} ({p.UcloudProjectId})", () => drives.RegisterAsync(p, stoppingToken));
        }
    }

    private async Task TryAsync(string owner, Func<Task<int>> register)
    {
        try
        {
            await register();
        }
        catch (CoreException e)
        {
            LogFailed(log, owner, e.Message);
        }
    }

    [LoggerMessage(61, LogLevel.Warning, "registering the drives of {Owner} with Core failed (retried at the next start or mapping): {Why}")]
    private static partial void LogFailed(ILogger logger, string owner, string why);
}
