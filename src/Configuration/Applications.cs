using System.Runtime.Versioning;

namespace UcloudIm.Configuration;

/// <summary>One parameter of an application: its type decides how a value is checked and written into the script.</summary>
public sealed record AppParameter(string Name, string Type, bool Optional, string? Default, double? Min, double? Max, IReadOnlyList<string>? Options);

/// <summary>
/// An application the provider offers: <c>applications/&lt;name&gt;.yml</c> in the config dir. The invocation is a
/// Liquid template rendered in the user's instance with the checked, shell-quoted parameter values.
/// </summary>
public sealed record AppDefinition(string Name, string Version, string Title, IReadOnlyList<AppParameter> Parameters, string Invocation, IReadOnlyDictionary<string, string> Sbatch,
    AppInterface? Interface = null);

/// <summary>
/// The application serves an interface: <c>WEB</c> (a web server) or <c>VNC</c> (a websockify endpoint in front of a
/// VNC server), on a fixed port or (Port null, <c>port: auto</c>) on a free one the job picks when it starts. Either
/// way the script gets it as $UCLOUD_PORT, and it is written to allocated-port.txt.
/// </summary>
public sealed record AppInterface(string Kind, int? Port);

public static class Applications
{
    public static readonly string[] ParameterTypes = ["text", "integer", "floating_point", "boolean", "enumeration"];

    /// <summary>sbatch options an application may not set: they are the provider's (who pays, where, which job this is, where output goes).</summary>
    public static readonly string[] ReservedSbatch =
        ["account", "A", "partition", "p", "job-name", "J", "output", "o", "error", "e", "chdir", "D", "qos", "q", "constraint", "C", "time", "t", "uid", "gid", "wrap"];

    [SupportedOSPlatform("linux")]
    public static IReadOnlyList<AppDefinition> Load(string configDirectory)
    {
        var dir = Path.Combine(configDirectory, "applications");
        if (!Directory.Exists(dir)) return [];
        var apps = new List<AppDefinition>();
        foreach (var file in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var s = YamlSection.Parse("applications/" + Path.GetFileName(file), File.ReadAllText(file));
            var name = s.String("name") ?? Path.GetFileNameWithoutExtension(file);
            var parameters = new List<AppParameter>();
            var ps = s.Section("parameters");
            foreach (var p in ps?.Keys() ?? [])
            {
                var q = ps!.RequiredSection(p);
                var type = q.String("type") ?? "text";
                if (!ParameterTypes.Contains(type)) throw q.Error("type", $"must be one of {string.Join(", ", ParameterTypes)}");
                var options = q.String("options")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (type == "enumeration" && options is not { Length: > 0 }) throw q.Error("options", "an enumeration needs options: a, b, c");
                parameters.Add(new AppParameter(p, type, q.Bool("optional", false), q.String("default"),
                    q.String("min") is { } min ? double.Parse(min, System.Globalization.CultureInfo.InvariantCulture) : null,
                    q.String("max") is { } max ? double.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : null, options));
                q.Done();
            }
            ps?.Done();
            var sbatch = new Dictionary<string, string>();
            var sb = s.Section("sbatch");
            foreach (var k in sb?.Keys() ?? [])
            {
                if (ReservedSbatch.Contains(k.TrimStart('-'))) throw sb!.Error(k, "is set by the provider; an application cannot override it");
                if (!k.TrimStart('-').All(c => char.IsAsciiLetterOrDigit(c) || c == '-')) throw sb!.Error(k, "is not an sbatch option name");
                var v = sb!.RequiredString(k);
                if (v.Any(char.IsControl)) throw sb.Error(k, "must be one line");
                sbatch[k.TrimStart('-')] = v;
            }
            sb?.Done();
            apps.Add(new AppDefinition(name, s.String("version") ?? "1", s.String("title") ?? name, parameters, s.RequiredString("invocation"), sbatch, ReadInterface(s)));
            s.Done();
        }
        var twice = apps.GroupBy(a => (a.Name, a.Version)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ConfigException("applications", "", $"{twice.Key.Name} {twice.Key.Version} is defined twice");
        return apps;
    }

    private static AppInterface? ReadInterface(YamlSection app)
    {
        var (web, vnc) = (app.Section("web"), app.Section("vnc"));
        if (web is not null && vnc is not null) throw app.Error("vnc", "an application has one interface: web or vnc, not both");
        if ((web ?? vnc) is not { } s) return null;
        var port = s.RequiredString("port");
        var kind = web is not null ? "WEB" : "VNC";
        var found = port == "auto" ? new AppInterface(kind, null)
            : int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 1024 and <= 65535 ? new AppInterface(kind, p)
            : throw s.Error("port", "must be auto or a port number from 1024 to 65535 (the job runs as the user, who cannot bind lower ports)");
        s.Done();
        return found;
    }
}
