using System.CommandLine;
using Spectre.Console;
using UcloudIm.Cli.Doctor;
using UcloudIm.Cli.Users;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Cli;

/// <summary>`ucloud-im`: the admin's tool. Root only; it talks to the server over its socket.</summary>
internal static class CliCommands
{
    private static readonly Option<string> ConfigDir = new("--config-dir")
    {
        Description = "The IM's configuration directory",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("UCLOUD_IM_CONFIG_DIR") ?? HostArgs.DefaultConfigDir,
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Administer the UCloud integration module for Slurm") { ConfigDir };
        root.Subcommands.Add(UserCommands.Build(Connect));
        root.Subcommands.Add(Projects.ProjectCommands.Build(Connect));
        root.Subcommands.Add(Status());
        root.Subcommands.Add(Instances());
        root.Subcommands.Add(DoctorCommand());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (ProcessIdentity.EffectiveUid != 0)
        {
            await Console.Error.WriteLineAsync("ucloud-im: run this as root (the server accepts admin commands only from uid 0)");
            return 2;
        }
        // Piped into a file or a test, lines are not wrapped at 80 columns.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240;
        try
        {
            // Our own handler below prints the server's message; the default one would print a stack trace.
            return await Build().Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is CliException or ConfigException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    private static ServerConnection Connect(ParseResult p) =>
        new(ImConfig.Load(p.GetValue(ConfigDir)!, ConfigReader.Cli));

    private static Command Status()
    {
        var cmd = new Command("status", "Show the server and its running user instances");
        cmd.SetAction(async (p, ct) =>
        {
            using var server = Connect(p);
            var s = await server.GetAsync("/cli/status", WireJson.Default.ServerStatus, ct);
            AnsiConsole.MarkupLineInterpolated($"provider [bold]{s.ProviderId}[/], server {s.Version}, {s.Instances.Count} user instance(s)");
            var table = new Table().AddColumns("UCloud user", "uid", "sudo pid", "started", "last activity", "restarts");
            foreach (var i in s.Instances)
            {
                table.AddRow(Markup.Escape(i.UcloudUsername), $"{i.Uid}", $"{i.SudoPid}",
                    DateTimeOffset.FromUnixTimeMilliseconds(i.StartedAt).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    DateTimeOffset.FromUnixTimeMilliseconds(i.LastActivityAt).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    $"{i.Restarts}");
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    private static Command Instances()
    {
        var name = new Option<string>("--ucloud-name") { Required = true, Description = "The UCloud user whose instance to stop" };
        var stop = new Command("stop", "Stop a user's instance now; the next request starts a fresh one (with current groups)") { name };
        stop.SetAction(async (p, ct) =>
        {
            using var server = Connect(p);
            await server.PostAsync("/cli/instances/stop", new UsernameRequest(p.GetValue(name)!), WireJson.Default.UsernameRequest, WireJson.Default.Empty, ct);
            AnsiConsole.MarkupLineInterpolated($"[green]stopped[/] the instance of {p.GetValue(name)}");
            return 0;
        });
        return new Command("instances", "Running user instances") { stop };
    }

    private static Command DoctorCommand()
    {
        var sudoers = new Option<string>("--sudoers-file") { DefaultValueFactory = _ => "/etc/sudoers.d/ucloud-im", Description = "The sudoers drop-in to check" };
        var cmd = new Command("doctor", "Check configuration, key, sudoers, sockets and Slurm, and say what to fix") { sudoers };
        cmd.SetAction(async (p, ct) =>
        {
            var findings = await new DoctorChecks(p.GetValue(ConfigDir)!, new CommandRunner(), p.GetValue(sudoers)!).RunAsync(ct);
            foreach (var f in findings)
            {
                AnsiConsole.MarkupLine((f.Ok ? "[green]ok  [/] " : "[red]FAIL[/] ") + Markup.Escape($"{f.Check}: {f.Detail}"));
                if (!f.Ok && f.Fix is not null) AnsiConsole.MarkupLineInterpolated($"     [yellow]fix:[/] {f.Fix}");
            }
            var failed = findings.Count(f => !f.Ok);
            AnsiConsole.MarkupLineInterpolated($"{findings.Count - failed} ok, {failed} to fix");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
