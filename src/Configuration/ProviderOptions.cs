using System.Text.RegularExpressions;

namespace UcloudIm.Configuration;

/// <summary>A host as UCloud's config writes it; port 443/8443 without a scheme means https.</summary>
public sealed record HostAddress(string Address, int Port, string Scheme)
{
    public Uri ToUri() => new($"{Scheme}://{Address}:{Port}");

    internal static HostAddress Read(YamlSection s)
    {
        var address = s.RequiredString("address");
        var port = s.Int("port", 443, 1, 65535);
        var scheme = s.String("scheme") ?? (port is 443 or 8443 ? "https" : "http");
        if (scheme is not ("http" or "https")) throw s.Error("scheme", $"expected http or https, got '{scheme}'");
        s.Done();
        return new HostAddress(address, port, scheme);
    }
}

/// <summary><c>provider:</c> in config.yml.</summary>
public sealed partial record ProviderOptions(
    string Id,
    HostAddress Ucloud,
    HostAddress Self,
    HostAddress SelfPublic,
    string IpcDirectory,
    string LogDirectory)
{
    /// <summary>Where the server listens for the gateway, the CLI and (later) user instances.</summary>
    public string ServerSocket => Path.Combine(IpcDirectory, "server.sock");

    /// <summary>Sticky, world-writable directory where user instances create their sockets.</summary>
    public string InstanceSocketDirectory => Path.Combine(IpcDirectory, "instances");

    internal static ProviderOptions Read(YamlSection s)
    {
        var id = s.RequiredString("id");
        if (!ProviderIdPattern().IsMatch(id))
            throw s.Error("id", $"'{id}' is not a valid provider id (letters, digits, '-' and '_', at most 64)");
        var hosts = s.RequiredSection("hosts");
        var ucloud = HostAddress.Read(hosts.RequiredSection("ucloud"));
        var self = HostAddress.Read(hosts.RequiredSection("self"));
        // How browsers reach us (download links); defaults to self.
        var selfPublic = hosts.Section("selfPublic") is { } sp ? HostAddress.Read(sp) : self;
        // Accepted for compatibility with UCloud's format; used from the networking work on.
        if (hosts.Section("ucloudPublic") is { } ucloudPublic) HostAddress.Read(ucloudPublic);
        hosts.Done();
        var ipc = s.Section("ipc");
        var ipcDir = ipc?.String("directory") ?? "/run/ucloud-im";
        ipc?.Done();
        var logs = s.Section("logs");
        var logDir = logs?.String("directory") ?? "/var/log/ucloud-im";
        logs?.Done();
        if (!Path.IsPathFullyQualified(ipcDir)) throw s.Error("ipc.directory", "must be an absolute path");
        if (!Path.IsPathFullyQualified(logDir)) throw s.Error("logs.directory", "must be an absolute path");
        s.Done();
        return new ProviderOptions(id, ucloud, self, selfPublic, ipcDir, logDir);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ProviderIdPattern();
}
