using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fluid;
using Fluid.Values;
using UcloudIm.Contracts;

namespace UcloudIm.Slurm;

/// <summary>A job request the user must correct; the message says how.</summary>
public sealed class JobRequestException(string message) : Exception(message);

/// <summary>
/// Turns a UCloud job into a batch script. Parameter values are checked against the application's types and
/// limits, then given to the Liquid template shell-quoted (text) or as numbers and booleans, so a value can
/// never become shell syntax. The template engine is sandboxed: no includes, bounded steps. The provider's
/// own #SBATCH lines (name, account, partition, limits, output) come first and cannot be overridden.
/// </summary>
public static class JobScript
{
    private static readonly FluidParser Parser = new();

    /// <summary>Parses a template; null when it is valid, otherwise what is wrong with it.</summary>
    public static string? Check(string template) => Parser.TryParse(template, out _, out var error) ? null : error;

    public static Dictionary<string, FluidValue> Values(JobApplication app, JsonObject? given)
    {
        var values = new Dictionary<string, FluidValue>();
        foreach (var name in given?.Select(p => p.Key) ?? [])
        {
            if (!app.Parameters.Any(p => p.Name == name)) throw new JobRequestException($"{app.Title} has no parameter '{name}'");
        }
        foreach (var p in app.Parameters)
        {
            var node = given?[p.Name];
            var raw = node is JsonObject o ? o["value"] : node;
            if (raw is null)
            {
                if (p.Default is { } d) raw = JsonValue.Create(d);
                else if (p.Optional) continue;
                else throw new JobRequestException($"The parameter '{p.Name}' is required");
            }
            values[p.Name] = p.Type switch
            {
                "integer" => NumberValue.Create(Number(p, raw, integer: true)),
                "floating_point" => NumberValue.Create(Number(p, raw, integer: false)),
                "boolean" => BooleanValue.Create(Bool(p, raw)),
                "enumeration" => new StringValue(ShellQuote(Text(p, raw) is var t && p.Options!.Contains(t) ? t
                    : throw new JobRequestException($"'{p.Name}' must be one of {string.Join(", ", p.Options!)}")), encode: false),
                _ => new StringValue(ShellQuote(Text(p, raw)), encode: false),
            };
        }
        return values;
    }

    public static string Render(JobApplication app, Dictionary<string, FluidValue> values)
    {
        if (!Parser.TryParse(app.Invocation, out var template, out var error))
            throw new JobRequestException($"The application's template is broken ({error}); tell the provider");
        var options = new TemplateOptions { MaxSteps = 100_000, MaxRecursion = 10 };
        var context = new TemplateContext(options);
        foreach (var (k, v) in values) context.SetValue(k, v);
        try
        {
            return template.Render(context);
        }
        catch (Exception e) when (e is InvalidOperationException or ParseException or FileNotFoundException)
        {
            throw new JobRequestException($"The application's template failed: {e.Message}");
        }
    }

    /// <summary>The #SBATCH header: the provider's lines first, then the application's extra options.</summary>
    public static string Header(string coreJobId, JobProduct product, string? account, int nodes, TimeSpan limit, string folder, JobApplication app)
    {
        var b = new StringBuilder("#!/bin/bash\n");
        void Line(string option, string value) => b.Append("#SBATCH --").Append(option).Append('=').Append(value).Append('\n');
        Line("job-name", "ucloud-" + coreJobId);
        Line("partition", product.Partition);
        if (account is not null) Line("account", account);
        if (product.Qos is { } q) Line("qos", q);
        if (product.Constraint is { } c) Line("constraint", c);
        Line("nodes", nodes.ToString(CultureInfo.InvariantCulture));
        Line("cpus-per-task", product.Cpu.ToString(CultureInfo.InvariantCulture));
        Line("mem", product.MemoryInGigs.ToString(CultureInfo.InvariantCulture) + "G");
        if (product.Gpu > 0) Line("gpus-per-node", product.Gpu.ToString(CultureInfo.InvariantCulture));
        Line("time", $"{(int)limit.TotalHours}:{limit.Minutes:00}:{limit.Seconds:00}");
        Line("chdir", folder);
        Line("output", folder + "/stdout.txt");
        Line("error", folder + "/stderr.txt");
        foreach (var (k, v) in app.Sbatch.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Line(k, v);
        b.Append('\n');
        if (app.Interface is { } ui) b.Append(InterfacePrelude(ui));
        return b.ToString();
    }

    /// <summary>
    /// For an application with an interface: $UCLOUD_PORT (fixed, or a port no socket on this node uses, from
    /// /proc/net/tcp*), written to allocated-port.txt in the job folder, where jobs/interactiveSession reads it.
    /// A VNC application also gets $UCLOUD_VNC_PASSWORD, fresh for every job (8 characters: VNC's limit), in
    /// vnc-password.txt readable by the user alone. Files are written under a temporary name and renamed, so a
    /// reader never sees half of one.
    /// </summary>
    public static string InterfacePrelude(JobAppInterface ui)
    {
        var b = new StringBuilder("# The interface's port, for jobs/interactiveSession.\n");
        if (ui.Port is { } fixedPort) b.Append("UCLOUD_PORT=").Append(fixedPort.ToString(CultureInfo.InvariantCulture)).Append('\n');
        else
        {
            b.Append("UCLOUD_PORT=\n");
            b.Append("for _ in $(seq 200); do\n");
            b.Append("  p=$((20000 + RANDOM % 40000))\n");
            b.Append("  grep -q \"$(printf ':%04X ' \"$p\")\" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { UCLOUD_PORT=$p; break; }\n");
            b.Append("done\n");
            b.Append("[ -n \"$UCLOUD_PORT\" ] || { echo 'no free port for the web interface' >&2; exit 1; }\n");
        }
        b.Append("export UCLOUD_PORT\n");
        // The password first: an open waits for the port file alone, and must then find the password there too.
        if (ui.Kind == "VNC")
        {
            b.Append("UCLOUD_VNC_PASSWORD=$(tr -dc 'A-Za-z0-9' < /dev/urandom 2>/dev/null | head -c 8)\n");
            b.Append("export UCLOUD_VNC_PASSWORD\n");
            b.Append("(umask 077; echo \"$UCLOUD_VNC_PASSWORD\" > vnc-password.txt.tmp) && mv -f vnc-password.txt.tmp vnc-password.txt\n");
        }
        b.Append("echo \"$UCLOUD_PORT\" > allocated-port.txt.tmp && mv -f allocated-port.txt.tmp allocated-port.txt\n");
        b.Append('\n');
        return b.ToString();
    }

    /// <summary>'…' with every ' written as '\''; the result is one word to the shell whatever it holds.</summary>
    public static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Text(JobAppParameter p, JsonNode raw)
    {
        var s = raw.GetValueKind() == System.Text.Json.JsonValueKind.String ? raw.GetValue<string>() : raw.ToJsonString();
        if (s.Any(c => char.IsControl(c) && c is not ('\t' or '\n'))) throw new JobRequestException($"'{p.Name}' contains control characters");
        if (s.Length > 64 << 10) throw new JobRequestException($"'{p.Name}' is longer than 64 KiB");
        return s;
    }

    private static decimal Number(JobAppParameter p, JsonNode raw, bool integer)
    {
        var text = raw.GetValueKind() == System.Text.Json.JsonValueKind.String ? raw.GetValue<string>() : raw.ToJsonString();
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || (integer && n != decimal.Truncate(n)))
            throw new JobRequestException($"'{p.Name}' must be {(integer ? "a whole number" : "a number")}, got '{text}'");
        if (p.Min is { } min && n < (decimal)min) throw new JobRequestException($"'{p.Name}' must be at least {min}");
        if (p.Max is { } max && n > (decimal)max) throw new JobRequestException($"'{p.Name}' must be at most {max}");
        return n;
    }

    private static bool Bool(JobAppParameter p, JsonNode raw) =>
        raw.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.String when raw.GetValue<string>() is "true" or "false" => raw.GetValue<string>() == "true",
            _ => throw new JobRequestException($"'{p.Name}' must be true or false"),
        };
}
