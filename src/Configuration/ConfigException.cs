namespace UcloudIm.Configuration;

/// <summary>Invalid configuration. The message names the file and the key, so an admin can fix it.</summary>
public sealed class ConfigException(string file, string key, string problem, int? line = null)
    : Exception($"{file}: {(key.Length > 0 ? key + ": " : "")}{problem}{(line is { } l ? $" (line {l})" : "")}")
{
    public string File { get; } = file;
    public string Key { get; } = key;
}
