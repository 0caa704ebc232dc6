using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UcloudIm.Contracts;

namespace UcloudIm.Cli.Projects;

/// <summary>`ucloud-im projects add|ls|rm`: which Unix group is a UCloud project's here.</summary>
internal static class ProjectCommands
{
    public static Command Build(Func<ParseResult, ServerConnection> connect)
    {
        var id = new Option<string>("--ucloud-id") { Required = true, Description = "The project's id in UCloud" };
        var group = new Option<string>("--local-group") { Required = true, Description = "The Unix group whose members are the project's members here" };
        var title = new Option<string?>("--title") { Description = "The project's title, shown here (default: its id)" };
        var add = new Command("add", "Map a UCloud project to a Unix group, and register the project's drives with Core") { id, group, title };
        add.SetAction(async (p, ct) =>
        {
            using var server = connect(p);
            var m = await server.PostAsync("/cli/projects", new AddProjectRequest(p.GetValue(id)!, p.GetValue(group)!, p.GetValue(title)),
                WireJson.Default.AddProjectRequest, WireJson.Default.ProjectMappingView, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]mapped[/] project {m.Title} ({m.UcloudProjectId}) → group {m.LocalGroup} (gid {m.Gid})");
            if (m.Drives.Count == 0)
                AnsiConsole.MarkupLine("[yellow]note[/]: no Project drive locator is configured (services.fileSystems), so the project has no drive here and its jobs run in each member's home");
            foreach (var d in m.Drives)
            {
                if (ProjectFolders.Problem(d, m.LocalGroup, m.Gid, UcloudIm.Unix.FileStat.Of(d, followLinks: true)) is { } problem)
                    AnsiConsole.MarkupLineInterpolated($"[yellow]note[/]: {problem}");
            }
            return 0;
        });

        var ls = new Command("ls", "List the project mappings");
        ls.Aliases.Add("list");
        ls.SetAction(async (p, ct) =>
        {
            using var server = connect(p);
            var all = await server.GetAsync("/cli/projects", WireJson.Default.ListProjectMappingView, ct);
            var table = new Table().AddColumns("project", "UCloud id", "group", "gid", "mapped at", "drives");
            foreach (var m in all)
            {
                table.AddRow(Markup.Escape(m.Title), Markup.Escape(m.UcloudProjectId), Markup.Escape(m.LocalGroup), m.Gid.ToString(CultureInfo.InvariantCulture),
                    DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join(", ", m.Drives)));
            }
            AnsiConsole.Write(table);
            return 0;
        });

        var rmId = new Option<string>("--ucloud-id") { Required = true, Description = "The project whose mapping to remove" };
        var rm = new Command("rm", "Remove a project's mapping (its folders and Slurm account are left as they are)") { rmId };
        rm.Aliases.Add("remove");
        rm.SetAction(async (p, ct) =>
        {
            using var server = connect(p);
            await server.PostAsync("/cli/projects/remove", new RemoveProjectRequest(p.GetValue(rmId)!),
                WireJson.Default.RemoveProjectRequest, WireJson.Default.Empty, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]removed[/] the mapping of project {p.GetValue(rmId)}");
            return 0;
        });

        return new Command("projects", "UCloud project ↔ Unix group mappings") { add, ls, rm };
    }
}
