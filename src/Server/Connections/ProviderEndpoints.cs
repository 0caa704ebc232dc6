using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Server.Instances;

namespace UcloudIm.Server.Connections;

/// <summary>The provider API endpoints the server answers itself (the gateway routes them here by path).</summary>
[SupportedOSPlatform("linux")]
internal static class ProviderEndpoints
{
    public static void MapProviderEndpoints(this IEndpointRouteBuilder app, ImConfig config)
    {
        var api = app.MapGroup($"/ucloud/{config.Provider.Id}");

        // Core calls init when a user's request got 449; we answer once the instance is ready to take the retry.
        api.MapPost("/integration/init", async (UsernameRequest body, InstanceManager instances, CancellationToken ct) =>
        {
            await instances.EnsureRunningAsync(Required(body), ct);
            return TypedResults.Ok(new Empty());
        });

        // Identity is mapped by the provider's admins (`ucloud-im users add`), so connect only reports the state.
        api.MapPost("/integration/connect", async (UsernameRequest body, Persistence.ConnectionsRepository repo, TimeProvider time, CancellationToken ct) =>
        {
            var c = await repo.FindAsync(Required(body), ct);
            if (c is null || !c.IsActiveAt(time.GetUtcNow()))
                throw ImException.BadRequest("This provider maps accounts by hand: ask its administrators to connect your UCloud user to your account here", "NOT_CONNECTED");
            return TypedResults.Ok(new ConnectResponse(config.Provider.Ucloud.ToUri().ToString()));
        });

        api.MapPost("/integration/unlinked", async (UsernameRequest body, ConnectionService connections, CancellationToken ct) =>
        {
            await connections.UnlinkAsync(Required(body), ct);
            return TypedResults.Ok(new Empty());
        });

        api.MapGet("/integration/retrieveManifest", () => TypedResults.Ok(new ManifestResponse(true, null)));

        // One compute product per size of each services.slurm.machines type, with what jobs here support.
        api.MapGet("/jobs/retrieveProducts", () => Results.Text(new System.Text.Json.Nodes.JsonObject
        {
            ["responses"] = new System.Text.Json.Nodes.JsonArray(config.Slurm.Products.Select(p => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["product"] = new System.Text.Json.Nodes.JsonObject { ["id"] = p.Name, ["category"] = p.Category, ["provider"] = config.Provider.Id },
                ["native"] = Flags(("enabled", true), ("logs", false), ("terminal", config.Instances.Terminals), ("timeExtension", true), ("vnc", true), ("web", config.Gateway.Apps is not null), ("peers", false)),
                ["docker"] = Flags(("enabled", false)),
                ["virtualMachine"] = Flags(("enabled", false)),
            }).ToArray()),
        }.ToJsonString(), "application/json"));
        // One storage product per services.fileSystems category, with what this provider's file API supports.
        api.MapGet("/files/collections/retrieveProducts", () => Results.Text(new System.Text.Json.Nodes.JsonObject
        {
            ["responses"] = new System.Text.Json.Nodes.JsonArray(config.FileSystems.Categories.Select(c => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["product"] = new System.Text.Json.Nodes.JsonObject { ["id"] = c, ["category"] = c, ["provider"] = config.Provider.Id },
                ["stats"] = Flags(("sizeInBytes", true), ("modifiedAt", true), ("createdAt", true), ("accessedAt", true),
                    ("unixPermissions", true), ("unixOwner", true), ("unixGroup", true), ("sizeIncludingChildrenInBytes", false)),
                ["collection"] = Flags(("aclModifiable", false), ("usersCanCreate", false), ("usersCanDelete", false), ("usersCanRename", false)),
                ["files"] = Flags(("aclModifiable", false), ("trashSupported", true), ("isReadOnly", false), ("searchSupported", false),
                    ("streamingSearchSupported", true), ("sharesSupported", false), ("openInTerminal", config.Instances.Terminals)),
            }).ToArray()),
        }.ToJsonString(), "application/json"));
    }

    private static System.Text.Json.Nodes.JsonObject Flags(params (string Name, bool Value)[] flags)
    {
        var o = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, value) in flags) o[name] = value;
        return o;
    }

    private static string Required(UsernameRequest? body) =>
        string.IsNullOrWhiteSpace(body?.Username) ? throw ImException.BadRequest("username is required") : body.Username;
}
