using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UcloudIm.Contracts;
using UcloudIm.Hosting;

namespace UcloudIm.Sandbox.Core;

/// <summary>The Core endpoints a provider calls: token refresh, connections, products. Each is logged.</summary>
internal static class CoreEndpoints
{
    public static void MapCoreEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/auth/providers/refresh", async (HttpContext ctx, SandboxState state, TokenIssuer issuer, CallLog log, TimeProvider time) =>
        {
            var body = await JsonSerializer.DeserializeAsync(ctx.Request.Body, WireJson.Default.BulkRequestRefreshTokenItem, ctx.RequestAborted);
            var ok = body?.Items is { Count: 1 } items && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(items[0].RefreshToken), System.Text.Encoding.UTF8.GetBytes(state.RefreshToken));
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "POST", "/auth/providers/refresh", ok ? 200 : 401, null, null));
            if (!ok)
            {
                await WireErrors.WriteAsync(ctx, 401, "Invalid refresh token", "UNAUTHORIZED");
                return;
            }
            await ctx.Response.WriteAsJsonAsync(new BulkResponse<AccessTokenResponse>([new AccessTokenResponse(issuer.ProviderToken(), null)]),
                WireJson.Default.BulkResponseAccessTokenResponse);
        });

        var api = app.MapGroup("/api");
        api.MapPost("/providers/integration/control/approveConnection", (HttpContext ctx) => Record(ctx));
        api.MapPost("/providers/integration/control/clearConnection", (HttpContext ctx) => Record(ctx));
        api.MapGet("/products/v2/browse", async (HttpContext ctx, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            var products = log.All().Where(c => c.Path == "/api/products/v2" && c.Status == 200 && c.Body is not null)
                .SelectMany(c => JsonNode.Parse(c.Body!)?["items"]?.AsArray().Select(n => n?.DeepClone()) ?? []).ToList();
            await ctx.Response.WriteAsync(new JsonObject { ["items"] = new JsonArray([.. products]), ["itemsPerPage"] = 250, ["next"] = null }.ToJsonString());
        });
        api.MapPost("/products/v2", (HttpContext ctx) => Record(ctx));
        api.MapPost("/files/collections/control/register", async (HttpContext ctx, SandboxState state, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync(ctx.RequestAborted);
            var items = JsonNode.Parse(body)?["items"]?.AsArray() ?? [];
            var ids = new JsonArray();
            var allExisted = items.Count > 0;
            foreach (var item in items)
            {
                var (id, existed) = state.Register(item!["providerGeneratedId"]!.GetValue<string>(), item["spec"]?["title"]?.GetValue<string>() ?? "Drive",
                    item["createdBy"]?.GetValue<string>(), item["spec"]?["product"]?["category"]?.GetValue<string>() ?? "home", item["project"]?.GetValue<string>());
                allExisted &= existed;
                ids.Add(new JsonObject { ["id"] = id });
            }
            var status = allExisted ? 409 : 200;
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "POST", ctx.Request.Path, status,
                items.Count > 0 ? items[0]?["createdBy"]?.GetValue<string>() ?? items[0]?["project"]?.GetValue<string>() : null, body));
            if (allExisted)
            {
                await WireErrors.WriteAsync(ctx, 409, "Already exists", "CONFLICT");
                return;
            }
            await ctx.Response.WriteAsync(new JsonObject { ["responses"] = ids }.ToJsonString());
        });
    }

    public static void MapCoreTaskEndpoints(this IEndpointRouteBuilder app)
    {
        // Jobs users submitted outside UCloud: Core makes a job for each and answers with its id.
        app.MapPost("/api/jobs/control/register", async (HttpContext ctx, JobBoard board, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            var ids = new JsonArray();
            foreach (var item in body?["items"]?.AsArray() ?? [])
            {
                var job = board.Create(item!["createdBy"]!.ToString(), (JsonObject)item["spec"]!.DeepClone(), item["project"]?.GetValue<string>());
                board.SetProviderId(job["id"]!.ToString(), item["providerGeneratedId"]!.ToString());
                ids.Add(new JsonObject { ["id"] = job["id"]!.ToString() });
            }
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "POST", "/api/jobs/control/register", 200, null, body?.ToJsonString()));
            await ctx.Response.WriteAsync(new JsonObject { ["responses"] = ids }.ToJsonString());
        });
        app.MapPost("/api/jobs/control/update", async (HttpContext ctx, JobBoard board, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            var unknown = new List<string>();
            foreach (var item in body?["items"]?.AsArray() ?? [])
            {
                var id = item?["id"]?.ToString() ?? "";
                if (!board.Update(id, item?["update"])) unknown.Add(id);
            }
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "POST", "/api/jobs/control/update", 200, null, body?.ToJsonString()));
            await ctx.Response.WriteAsync("{}");
        });
        app.MapGet("/api/files/collections/control/retrieve", async (HttpContext ctx, string id, SandboxState state, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            var drive = state.Drives().FirstOrDefault(d => d.Id == id);
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "GET", "/api/files/collections/control/retrieve", drive is null ? 404 : 200, null, id));
            if (drive is null)
            {
                await WireErrors.WriteAsync(ctx, 404, "No such drive", "NOT_FOUND");
                return;
            }
            await ctx.Response.WriteAsync(EndUser.EndUserEndpoints.DriveJson(state, drive).ToJsonString());
        });
        app.MapPost("/api/tasks", async (HttpContext ctx, TaskBoard board, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            var user = body?["user"]?.GetValue<string>();
            if (string.IsNullOrEmpty(user))
            {
                await WireErrors.WriteAsync(ctx, 400, "A task needs a user", "BAD_REQUEST");
                return;
            }
            var id = board.Create(user, body?["title"]?.GetValue<string>() ?? "");
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "POST", "/api/tasks", 200, user, body?.ToJsonString()));
            await ctx.Response.WriteAsync(new JsonObject { ["taskId"] = id, ["owner"] = user }.ToJsonString());
        });
        app.MapPost("/api/tasks/postStatus", async (HttpContext ctx, TaskBoard board, CallLog log, TimeProvider time) =>
        {
            if (!await Authorized(ctx)) return;
            var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            var update = body?["update"];
            var ok = update?["taskId"]?.ToString() is { } id && board.Post(id, update["newStatus"]);
            log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", "POST", "/api/tasks/postStatus", ok ? 200 : 404, null, body?.ToJsonString()));
            if (!ok)
            {
                await WireErrors.WriteAsync(ctx, 404, "No such task", "NOT_FOUND");
                return;
            }
            await ctx.Response.WriteAsync("{}");
        });
    }

    /// <summary>Accepts a provider call with a valid provider token, and records what it said.</summary>
    private static async Task Record(HttpContext ctx)
    {
        var log = ctx.RequestServices.GetService(typeof(CallLog)) as CallLog;
        var time = (TimeProvider)ctx.RequestServices.GetService(typeof(TimeProvider))!;
        using var reader = new StreamReader(ctx.Request.Body);
        var body = await reader.ReadToEndAsync(ctx.RequestAborted);
        var ok = await Authorized(ctx);
        string? user = null;
        try { user = JsonNode.Parse(body)?["username"]?.GetValue<string>(); } catch (JsonException) { }
        log!.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "provider->core", ctx.Request.Method, ctx.Request.Path, ok ? 200 : 401, user, body));
        if (ok) await ctx.Response.WriteAsync("{}");
    }

    private static async Task<bool> Authorized(HttpContext ctx)
    {
        var issuer = (TokenIssuer)ctx.RequestServices.GetService(typeof(TokenIssuer))!;
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.Ordinal) && await issuer.IsProviderTokenAsync(auth[7..])) return true;
        await WireErrors.WriteAsync(ctx, 401, "Unauthorized", "UNAUTHORIZED");
        return false;
    }
}
