using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UcloudIm.Contracts;

namespace UcloudIm.Cli.Users;

/// <summary>`ucloud-im users add|ls|rm`: the UCloud user ↔ local user mappings.</summary>
internal static class UserCommands
{
    public static Command Build(Func<ParseResult, ServerConnection> connect)
    {
        var ucloudName = new Option<string>("--ucloud-name") { Required = true, Description = "The user's UCloud username" };
        var localName = new Option<string>("--local-name") { Required = true, Description = "The local (Linux) username" };
        var add = new Command("add", "Map a UCloud user to a local user, and tell Core the user is connected") { ucloudName, localName };
        add.SetAction(async (p, ct) =>
        {
            using var server = connect(p);
            var m = await server.PostAsync("/cli/users", new AddUserRequest(p.GetValue(ucloudName)!, p.GetValue(localName)!),
                WireJson.Default.AddUserRequest, WireJson.Default.UserMapping, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]mapped[/] {m.UcloudUsername} → {m.LocalUsername} (uid {m.Uid})");
            return 0;
        });

        var ls = new Command("ls", "List the mappings");
        ls.Aliases.Add("list");
        ls.SetAction(async (p, ct) =>
        {
            using var server = connect(p);
            var all = await server.GetAsync("/cli/users", WireJson.Default.ListUserMapping, ct);
            var table = new Table().AddColumns("UCloud user", "local user", "uid", "mapped at", "state", "instance");
            foreach (var m in all)
            {
                var state = m.ExpiresAt is { } e && e <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() ? "[yellow]expired[/]" : "active";
                table.AddRow(Markup.Escape(m.UcloudUsername), Markup.Escape(m.LocalUsername), m.Uid.ToString(CultureInfo.InvariantCulture),
                    DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), state,
                    m.InstanceRunning ? "running" : "-");
            }
            AnsiConsole.Write(table);
            return 0;
        });

        var rmName = new Option<string>("--ucloud-name") { Required = true, Description = "The UCloud username whose mapping to remove" };
        var rm = new Command("rm", "Remove a mapping: stops the user's instance and tells Core") { rmName };
        rm.Aliases.Add("remove");
        rm.SetAction(async (p, ct) =>
        {
            using var server = connect(p);
            await server.PostAsync("/cli/users/remove", new RemoveUserRequest(p.GetValue(rmName)!),
                WireJson.Default.RemoveUserRequest, WireJson.Default.Empty, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]removed[/] the mapping of {p.GetValue(rmName)}");
            return 0;
        });

        return new Command("users", "UCloud user ↔ local user mappings") { add, ls, rm };
    }
}
