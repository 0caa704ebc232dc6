using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace UcloudIm.Sandbox;

/// <summary>The end-user's job commands: products, apps, run, jobs, follow, extend, cancel.</summary>
internal static class JobCommands
{
    public static IEnumerable<Command> Build(Argument<string> user, Option<string> url)
    {
        var products = new Command("products", "The provider's compute products (jobs/retrieveProducts)") { url };
        products.SetAction(async (p, ct) =>
        {
            var answer = await GetAsync(p.GetValue(url)!, "/sandbox/products", ct);
            foreach (var r in answer["body"]?["responses"]?.AsArray() ?? []) Console.WriteLine($"{r!["product"]!["id"]}  ({r["product"]!["category"]})");
            return 0;
        });
        yield return products;

        var dir = new Option<string>("--im-config-dir") { DefaultValueFactory = _ => "/etc/ucloud-im", Description = "The IM's config dir, whose applications/ the catalogue shows" };
        var apps = new Command("apps", "The applications the provider offers (its applications/*.yml)") { dir };
        apps.SetAction(p =>
        {
            foreach (var a in Configuration.Applications.Load(p.GetValue(dir)!))
                Console.WriteLine($"{a.Name} {a.Version}: {a.Title} — parameters: {string.Join(", ", a.Parameters.Select(x => $"{x.Name} ({x.Type}{(x.Optional || x.Default is not null ? ", optional" : "")})"))}");
            return 0;
        });
        yield return apps;

        var app = new Argument<string>("application");
        var product = new Option<string>("--product") { Required = true, Description = "A compute product (see products)" };
        var param = new Option<string[]>("--param") { Description = "name=value, repeatable", AllowMultipleArgumentsPerToken = false };
        var minutes = new Option<int>("--minutes") { DefaultValueFactory = _ => 10, Description = "Time limit" };
        var project = new Option<string?>("--project") { Description = "Run it in this UCloud project (its id): charged to the project, in the project's drive" };
        var ssh = new Option<bool>("--ssh") { Description = "Start it with SSH enabled: its status then says how to log in and into the job" };
        var run = new Command("run", "Start a job as an end-user: run alice shell --product standard-1 --param script='echo hi'") { user, app, url, product, param, minutes, project, ssh };
        run.SetAction(async (p, ct) =>
        {
            var parameters = new JsonObject();
            foreach (var kv in p.GetValue(param) ?? [])
            {
                var eq = kv.IndexOf('=');
                if (eq <= 0) { AnsiConsole.MarkupLineInterpolated($"[red]--param {kv}[/]: expected name=value"); return 2; }
                parameters[kv[..eq]] = kv[(eq + 1)..];
            }
            var answer = await PostAsync(p.GetValue(url)!, $"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/jobs", new JsonObject
            {
                ["application"] = p.GetValue(app), ["product"] = p.GetValue(product), ["minutes"] = p.GetValue(minutes), ["parameters"] = parameters,
                ["project"] = p.GetValue(project), ["ssh"] = p.GetValue(ssh),
            }, ct);
            if (answer["status"]?.GetValue<int>() != 200)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error {answer["status"]}[/]: {answer["body"]?["why"]}");
                return 1;
            }
            AnsiConsole.MarkupLineInterpolated($"[green]job {answer["jobId"]}[/] submitted (Slurm id {answer["body"]?["responses"]?[0]?["id"]}); see `jobs`, `follow`");
            return 0;
        });
        yield return run;

        var jobs = new Command("jobs", "A user's jobs, with every state the provider reported") { user, url };
        jobs.SetAction(async (p, ct) =>
        {
            var list = (await GetAsync(p.GetValue(url)!, $"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/jobs", ct)).AsArray();
            var table = new Table().AddColumns("id", "slurm", "application", "state", "history");
            foreach (var j in list)
                table.AddRow(Markup.Escape(j!["id"]!.ToString()), Markup.Escape(j["providerGeneratedId"]?.ToString() ?? ""), Markup.Escape(j["specification"]!["application"]!["name"]!.ToString()),
                    Markup.Escape(j["state"]!.ToString()), Markup.Escape(string.Join(" → ", j["updates"]!.AsArray().Select(u => $"{u!["state"]} ({u["status"]})"))));
            AnsiConsole.Write(table);
            return 0;
        });
        yield return jobs;

        var id = new Argument<string>("job") { Description = "The job's id (from run or jobs)" };
        var follow = new Command("follow", "Print a job's output as it grows, until it ends") { user, id, url };
        follow.SetAction(async (p, ct) =>
        {
            var answer = await PostAsync(p.GetValue(url)!, $"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/jobs/{p.GetValue(id)}/follow", null, ct);
            Console.Write(answer["stdout"]?.ToString());
            Console.Error.Write(answer["stderr"]?.ToString());
            if (answer["status"]?.GetValue<int>() == 200) return 0;
            AnsiConsole.MarkupLineInterpolated($"[red]error {answer["status"]}[/]: {answer["why"]}");
            return 1;
        });
        yield return follow;

        var extendMinutes = new Option<int>("--minutes") { Required = true };
        var extend = new Command("extend", "Give a running job more time") { user, id, url, extendMinutes };
        extend.SetAction(async (p, ct) => Report(await PostAsync(p.GetValue(url)!,
            $"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/jobs/{p.GetValue(id)}/extend", new JsonObject { ["minutes"] = p.GetValue(extendMinutes) }, ct)));
        yield return extend;

        var vnc = new Option<bool>("--vnc") { Description = "Open its VNC interface: prints the WebSocket URL noVNC connects to, and the password" };
        var open = new Command("open", "Open a running job's web interface: prints the one-time link a browser would be sent to") { user, id, url, vnc };
        open.SetAction(async (p, ct) =>
        {
            var type = p.GetValue(vnc) ? "VNC" : "WEB";
            var answer = await PostAsync(p.GetValue(url)!, $"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/jobs/{p.GetValue(id)}/open?type={type}", null, ct);
            if (answer["status"]?.GetValue<int>() != 200) return Report(answer);
            var session = answer["body"]?["responses"]?[0]?["session"];
            if (type == "WEB") Console.WriteLine(session?["redirectClientTo"]?.ToString());
            else Console.WriteLine($"{session?["url"]}\npassword: {session?["password"]}");
            return 0;
        });
        yield return open;

        var cancel = new Command("cancel", "Cancel a job") { user, id, url };
        cancel.SetAction(async (p, ct) => Report(await PostAsync(p.GetValue(url)!, $"/sandbox/users/{Uri.EscapeDataString(p.GetValue(user)!)}/jobs/{p.GetValue(id)}/cancel", null, ct)));
        yield return cancel;
    }

    private static int Report(JsonNode answer)
    {
        if (answer["status"]?.GetValue<int>() == 200) { AnsiConsole.MarkupLine("[green]done[/]"); return 0; }
        AnsiConsole.MarkupLineInterpolated($"[red]error {answer["status"]}[/]: {answer["body"]?["why"]}");
        return 1;
    }

    private static async Task<JsonNode> GetAsync(string baseUrl, string path, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) };
        return JsonNode.Parse(await http.GetStringAsync(path, ct))!;
    }

    private static async Task<JsonNode> PostAsync(string baseUrl, string path, JsonObject? body, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromHours(2) };
        var response = await http.PostAsync(path, body is null ? null : new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
    }
}
