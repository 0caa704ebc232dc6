namespace UcloudIm.Configuration;

/// <summary><c>userInstances:</c> in config.yml: how the server starts, watches and stops user instances.</summary>
public sealed record InstanceOptions(
    string Executable,
    string Sudo,
    string AllowedGroup,
    uint MinimumUid,
    TimeSpan IdleTimeout,
    TimeSpan ReadyTimeout,
    TimeSpan GroupCheckInterval,
    int MaxRestartsPerHour,
    TimeSpan DownloadLinkLifetime,
    TimeSpan UploadLinkLifetime,
    bool Terminals = true)
{
    public static readonly InstanceOptions Defaults = new(
        "/opt/ucloud-im/bin/ucloud-im-user", "/usr/bin/sudo", "ucloud-users", 1000,
        TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60), 10, TimeSpan.FromHours(6), TimeSpan.FromHours(48));

    internal static InstanceOptions Read(YamlSection? s)
    {
        if (s is null) return Defaults;
        var o = new InstanceOptions(
            s.String("executable") ?? Defaults.Executable,
            s.String("sudo") ?? Defaults.Sudo,
            s.String("allowedGroup") ?? Defaults.AllowedGroup,
            (uint)s.Int("minimumUid", (int)Defaults.MinimumUid, 1),
            s.Duration("idleTimeout", Defaults.IdleTimeout, TimeSpan.FromSeconds(1)),
            s.Duration("readyTimeout", Defaults.ReadyTimeout, TimeSpan.FromMilliseconds(100)),
            s.Duration("groupCheckInterval", Defaults.GroupCheckInterval, TimeSpan.FromMilliseconds(100)),
            s.Int("maxRestartsPerHour", Defaults.MaxRestartsPerHour, 0, 1000),
            s.Duration("downloadLinkLifetime", Defaults.DownloadLinkLifetime, TimeSpan.FromSeconds(1)),
            s.Duration("uploadLinkLifetime", Defaults.UploadLinkLifetime, TimeSpan.FromSeconds(1)),
            s.Bool("terminals", Defaults.Terminals));
        if (!Path.IsPathFullyQualified(o.Executable)) throw s.Error("executable", "must be an absolute path (sudoers names it exactly)");
        if (!Path.IsPathFullyQualified(o.Sudo)) throw s.Error("sudo", "must be an absolute path");
        s.Done();
        return o;
    }
}
