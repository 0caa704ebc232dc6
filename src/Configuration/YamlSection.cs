using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace UcloudIm.Configuration;

/// <summary>
/// One YAML mapping being read into options. Every key read is remembered; <see cref="Done"/> refuses the
/// rest, so a typo is an error that names the key, never a silently ignored setting.
/// </summary>
public sealed partial class YamlSection
{
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public string File { get; }
    public string Path { get; }

    private YamlSection(string file, string path, YamlMappingNode node)
    {
        File = file;
        Path = path;
        _node = node;
    }

    /// <summary>Parses a whole file. A missing file with <paramref name="optional"/> reads as an empty mapping.</summary>
    public static YamlSection Load(string directory, string baseName, bool optional)
    {
        var path = FindFile(directory, baseName);
        var fileName = path is null ? baseName + ".yml" : System.IO.Path.GetFileName(path);
        if (path is null)
        {
            if (optional) return new YamlSection(fileName, "", new YamlMappingNode());
            throw new ConfigException(fileName, "", $"file not found in {directory}");
        }
        return Parse(fileName, System.IO.File.ReadAllText(path));
    }

    public static YamlSection Parse(string fileName, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException(fileName, "", $"not valid YAML: {e.Message}", (int)e.Start.Line);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new YamlSection(fileName, "", new YamlMappingNode());
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException(fileName, "", "expected a mapping of keys at the top level", Line(stream.Documents[0].RootNode));
        return new YamlSection(fileName, "", root);
    }

    /// <summary>The path of <c>base.yml</c> or <c>base.yaml</c>; both at once is an error.</summary>
    public static string? FindFile(string directory, string baseName)
    {
        var yml = System.IO.Path.Combine(directory, baseName + ".yml");
        var yaml = System.IO.Path.Combine(directory, baseName + ".yaml");
        var hasYml = System.IO.File.Exists(yml);
        var hasYaml = System.IO.File.Exists(yaml);
        if (hasYml && hasYaml) throw new ConfigException(baseName + ".yml", "", $"both {baseName}.yml and {baseName}.yaml exist; keep one");
        return hasYml ? yml : hasYaml ? yaml : null;
    }

    public bool Has(string key) => Find(key) is not null;

    /// <summary>The keys of this mapping, for sections whose keys are names (categories, locators).</summary>
    public IReadOnlyList<string> Keys() =>
        _node.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "").ToList();

    public YamlSection? Section(string key)
    {
        var node = Find(key);
        if (node is null || node is YamlScalarNode { Value: null or "" or "~" }) return null;
        if (node is not YamlMappingNode map) throw Error(key, "expected a mapping of keys", node);
        return new YamlSection(File, Qualify(key), map);
    }

    public YamlSection RequiredSection(string key) => Section(key) ?? throw Error(key, "is required");

    public string? String(string key)
    {
        var node = Find(key);
        if (node is null) return null;
        if (node is not YamlScalarNode scalar) throw Error(key, "expected a single value", node);
        return scalar.Value is null or "~" || (scalar.Style == ScalarStyle.Plain && scalar.Value == "null") ? null : scalar.Value;
    }

    public string RequiredString(string key)
    {
        var value = String(key);
        if (string.IsNullOrWhiteSpace(value)) throw Error(key, "is required", Find(key));
        return value;
    }

    public int Int(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = String(key);
        if (text is null) return defaultValue;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw Error(key, $"expected a whole number, got '{text}'", Find(key));
        if (value < min || value > max) throw Error(key, $"must be between {min} and {max}, got {value}", Find(key));
        return value;
    }

    public bool Bool(string key, bool defaultValue)
    {
        var text = String(key);
        return text?.ToLowerInvariant() switch
        {
            null => defaultValue,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error(key, $"expected true or false, got '{text}'", Find(key)),
        };
    }

    /// <summary>A duration written with its unit: <c>500ms</c>, <c>10s</c>, <c>30m</c>, <c>2h</c>, <c>1d</c>.</summary>
    public TimeSpan Duration(string key, TimeSpan defaultValue, TimeSpan? min = null)
    {
        var text = String(key);
        if (text is null) return defaultValue;
        var value = ParseDuration(text) ?? throw Error(key, $"expected a duration such as 500ms, 10s, 30m or 2h, got '{text}'", Find(key));
        if (min is { } m && value < m) throw Error(key, $"must be at least {m.TotalSeconds} s", Find(key));
        return value;
    }

    public static TimeSpan? ParseDuration(string text)
    {
        var m = DurationPattern().Match(text.Trim());
        if (!m.Success) return null;
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => null,
        };
    }

    /// <summary>
    /// An amount of memory written with its binary unit: <c>768KiB</c>, <c>16MiB</c>, <c>1GiB</c>; in bytes, and
    /// between <paramref name="min"/> and <paramref name="max"/> bytes.
    /// </summary>
    public long Size(string key, long defaultValue, long min, long max)
    {
        var text = String(key);
        if (text is null) return defaultValue;
        var value = ParseSize(text) ?? throw Error(key, $"expected a size such as 768KiB, 16MiB or 1GiB, got '{text}'", Find(key));
        if (value < min || value > max) throw Error(key, $"must be between {FormatSize(min)} and {FormatSize(max)}, got {text.Trim()}", Find(key));
        return value;
    }

    public static long? ParseSize(string text)
    {
        var m = SizePattern().Match(text.Trim());
        if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
        var shift = m.Groups[2].Value switch { "KiB" => 10, "MiB" => 20, "GiB" => 30, _ => -1 };
        if (shift < 0 || n > long.MaxValue >> shift) return null;
        return n << shift;
    }

    /// <summary>The largest binary unit that writes <paramref name="bytes"/> as a whole number (for messages and docs).</summary>
    public static string FormatSize(long bytes) =>
        bytes != 0 && bytes % (1L << 30) == 0 ? $"{bytes >> 30}GiB"
        : bytes != 0 && bytes % (1L << 20) == 0 ? $"{bytes >> 20}MiB"
        : bytes != 0 && bytes % (1L << 10) == 0 ? $"{bytes >> 10}KiB"
        : $"{bytes} bytes";

    public T Enum<T>(string key, T defaultValue) where T : struct, System.Enum
    {
        var text = String(key);
        if (text is null) return defaultValue;
        if (System.Enum.TryParse<T>(text, ignoreCase: true, out var v) && System.Enum.IsDefined(v)) return v;
        throw Error(key, $"expected one of {string.Join(", ", System.Enum.GetNames<T>())}, got '{text}'", Find(key));
    }

    /// <summary>Refuses every key that was not read: it is a typo or a setting this version does not have.</summary>
    public void Done()
    {
        foreach (var (k, v) in _node.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!_read.Contains(name)) throw Error(name, "unknown key", k);
        }
    }

    public ConfigException Error(string key, string problem, YamlNode? node = null) =>
        new(File, Qualify(key), problem, node is null ? Line(_node) : Line(node));

    private YamlNode? Find(string key)
    {
        _read.Add(key);
        return _node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    }

    private string Qualify(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    private static int? Line(YamlNode node) => node.Start.Line > 0 ? (int)node.Start.Line : null;

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(\d{1,19})\s*(KiB|MiB|GiB)$")]
    private static partial Regex SizePattern();
}
