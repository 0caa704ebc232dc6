using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;

namespace UcloudIm.Server.Core;

/// <summary>
/// At start, tells Core about the products: one compute product per size of each machine type, one storage
/// product per file-system category. Free to use for now (accounting comes with usage reporting). Core
/// being away is retried with backoff; it does not stop the server.
/// </summary>
internal sealed partial class ProductRegistration(ImConfig config, CoreClient core, ILogger<ProductRegistration> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var items = new JsonArray();
        foreach (var m in config.Slurm.Machines)
        {
            foreach (var p in m.Products)
            {
                items.Add(new JsonObject
                {
                    ["type"] = "compute", ["name"] = p.Name, ["description"] = m.Description, ["productType"] = "COMPUTE",
                    ["category"] = Category(m.Category, "COMPUTE"), ["price"] = 1, ["cpu"] = p.Cpu, ["memoryInGigs"] = p.MemoryInGigs, ["gpu"] = p.Gpu,
                    ["hiddenInGrantApplications"] = false,
                });
            }
        }
        foreach (var c in config.FileSystems.Categories)
        {
            items.Add(new JsonObject
            {
                ["type"] = "storage", ["name"] = c, ["description"] = $"{c} storage", ["productType"] = "STORAGE",
                ["category"] = Category(c, "STORAGE"), ["price"] = 1, ["hiddenInGrantApplications"] = false,
            });
        }
        if (items.Count == 0) return;
        for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(5).Ticks)))
        {
            try
            {
                await core.PostJsonAsync("/api/products/v2", new JsonObject { ["items"] = items.DeepClone() }, stoppingToken);
                LogRegistered(log, items.Count);
                return;
            }
            catch (CoreException e)
            {
                LogFailed(log, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    private JsonObject Category(string name, string productType) => new()
    {
        ["name"] = name, ["provider"] = config.Provider.Id, ["productType"] = productType,
        ["accountingUnit"] = new JsonObject { ["name"] = "job", ["namePlural"] = "jobs", ["floatingPoint"] = false, ["displayFrequencySuffix"] = false },
        ["accountingFrequency"] = "ONCE", ["freeToUse"] = true, ["allowSubAllocations"] = true,
    };

    [LoggerMessage(80, LogLevel.Information, "registered {Count} product(s) with Core")]
    private static partial void LogRegistered(ILogger logger, int count);

    [LoggerMessage(81, LogLevel.Warning, "registering products with Core failed ({Why}); retrying in {Seconds} s")]
    private static partial void LogFailed(ILogger logger, string why, double seconds);
}
