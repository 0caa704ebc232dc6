using System.Runtime.Versioning;

namespace UcloudIm.Configuration;

/// <summary>Which process is reading the configuration: each reads only the files it needs.</summary>
public enum ConfigReader { Gateway, Server, Cli, Sandbox }

/// <summary>The whole validated configuration of one process.</summary>
public sealed record ImConfig(
    string Directory,
    ProviderOptions Provider,
    GatewayOptions Gateway,
    InstanceOptions Instances,
    FileSystemOptions FileSystems,
    SlurmOptions Slurm,
    ServerOptions? Server,
    SshOptions Ssh)
{
    public const string DefaultDirectory = "/etc/ucloud-im";

    /// <summary>Reads and validates the config dir. Throws <see cref="ConfigException"/> naming file and key.</summary>
    [SupportedOSPlatform("linux")]
    public static ImConfig Load(string directory, ConfigReader reader)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new ConfigException(directory, "", "configuration directory does not exist");
        var config = YamlSection.Load(directory, "config", optional: false);
        var provider = ProviderOptions.Read(config.RequiredSection("provider"));
        var gateway = GatewayOptions.Read(config.Section("gateway"), directory);
        var instances = InstanceOptions.Read(config.Section("userInstances"));
        var services = config.Section("services");
        var fileSystems = FileSystemOptions.None;
        var slurm = SlurmOptions.None;
        var ssh = SshOptions.Defaults;
        if (services is not null)
        {
            var type = services.String("type") ?? "Slurm";
            if (type != "Slurm") throw services.Error("type", $"only Slurm is supported, got '{type}'");
            fileSystems = FileSystemOptions.Read(services.Section("fileSystems"));
            slurm = SlurmOptions.Read(services.Section("slurm"));
            ssh = SshOptions.Read(services.Section("ssh"));
            services.Done();
        }
        config.Done();

        ServerOptions? server = null;
        if (reader == ConfigReader.Server)
        {
            var serverYml = YamlSection.FindFile(directory, "server");
            if (serverYml is not null) RefuseIfReadableByOthers(serverYml);
            server = ServerOptions.Read(YamlSection.Load(directory, "server", optional: false));
            var secretsYml = YamlSection.FindFile(directory, "secrets");
            if (secretsYml is not null)
            {
                RefuseIfReadableByOthers(secretsYml);
                // No secret is used yet (identity management and storage plugins come later); keys are still checked.
                YamlSection.Load(directory, "secrets", optional: true).Done();
            }
        }
        return new ImConfig(directory, provider, gateway, instances, fileSystems, slurm, server, ssh);
    }

    /// <summary>server.yml and secrets.yml hold credentials: another user must not be able to read them.</summary>
    [SupportedOSPlatform("linux")]
    private static void RefuseIfReadableByOthers(string path)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
            throw new ConfigException(Path.GetFileName(path), "",
                $"holds credentials but is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
    }
}
