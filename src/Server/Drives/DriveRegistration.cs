using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Persistence;
using UcloudIm.Server.Core;

namespace UcloudIm.Server.Drives;

/// <summary>
/// Tells Core about each mapped user's drives, from the configured drive locators. A drive's
/// providerGeneratedId is "&lt;provider&gt;-&lt;category&gt;-&lt;locator&gt;-&lt;user&gt;\n&lt;local path&gt;": the user instance maps
/// UCloud paths below it.
/// </summary>
internal sealed partial class DriveRegistration(ImConfig config, CoreClient core, ILogger<DriveRegistration> log)
{
    public async Task<int> RegisterAsync(Connection c, CancellationToken ct)
    {
        var items = new JsonArray();
        foreach (var l in config.FileSystems.Locators)
        {
            var path = l.PathFor(c.LocalUsername, c.UcloudUsername, c.Uid);
            if (path is null)
            {
                LogUnclean(log, l.Name, c.UcloudUsername);
                continue;
            }
            items.Add(new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["title"] = l.Title,
                    ["product"] = new JsonObject { ["id"] = l.Category, ["category"] = l.Category, ["provider"] = config.Provider.Id },
                },
                ["providerGeneratedId"] = $"{config.Provider.Id}-{l.Category}-{l.Name}-{c.UcloudUsername}\n{path}",
                ["createdBy"] = c.UcloudUsername,
                ["project"] = null,
                ["projectAllRead"] = false,
                ["projectAllWrite"] = false,
            });
        }
        if (items.Count == 0) return 0;
        await core.RegisterDrivesAsync(items, ct);
        return items.Count;
    }

    [LoggerMessage(60, LogLevel.Warning, "drive locator {Locator} gives no clean path for {UcloudUser}; that drive is not registered")]
    private static partial void LogUnclean(ILogger logger, string locator, string ucloudUser);
}

/// <summary>At start, registers the drives of every active mapping, so a locator added later reaches everyone.</summary>
internal sealed partial class DriveSync(ImConfig config, ConnectionsRepository connections, DriveRegistration drives, TimeProvider time, ILogger<DriveSync> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.FileSystems.Locators.Count == 0) return;
        var now = time.GetUtcNow();
        foreach (var c in await connections.ListAsync(stoppingToken))
        {
            if (!c.IsActiveAt(now)) continue;
            try
            {
                await drives.RegisterAsync(c, stoppingToken);
            }
            catch (CoreException e)
            {
                LogFailed(log, c.UcloudUsername, e.Message);
            }
        }
    }

    [LoggerMessage(61, LogLevel.Warning, "registering the drives of {UcloudUser} with Core failed (retried at the next start or mapping): {Why}")]
    private static partial void LogFailed(ILogger logger, string ucloudUser, string why);
}
