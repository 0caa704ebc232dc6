namespace UcloudIm.Hosting;

/// <summary>The arguments every daemon takes: only where its configuration lives.</summary>
public static class HostArgs
{
    public const string DefaultConfigDir = "/etc/ucloud-im";

    /// <summary><c>--config-dir DIR</c>, else $UCLOUD_IM_CONFIG_DIR, else /etc/ucloud-im. Anything else is an error.</summary>
    public static string ConfigDir(string[] args)
    {
        string? dir = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config-dir" && i + 1 < args.Length) dir = args[++i];
            else if (args[i].StartsWith("--config-dir=", StringComparison.Ordinal)) dir = args[i]["--config-dir=".Length..];
            else throw new ArgumentException($"unknown argument '{args[i]}' (the only option is --config-dir DIR)");
        }
        return dir ?? Environment.GetEnvironmentVariable("UCLOUD_IM_CONFIG_DIR") ?? DefaultConfigDir;
    }
}
