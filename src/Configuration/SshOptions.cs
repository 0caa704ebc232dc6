namespace UcloudIm.Configuration;

/// <summary>
/// <c>services.ssh</c>: whether the SSH keys users keep in UCloud are installed for them on this cluster, and into
/// which file of their home folder. Off by default: a site decides whether users may log in with keys at all.
/// </summary>
public sealed record SshOptions(bool InstallKeys, string AuthorizedKeysFile)
{
    public static readonly SshOptions Defaults = new(false, ".ssh/authorized_keys");

    internal static SshOptions Read(YamlSection? s)
    {
        if (s is null) return Defaults;
        var file = s.String("authorizedKeysFile") ?? Defaults.AuthorizedKeysFile;
        // Relative to the home folder, as the instance writes it as the user; sshd's own tokens (%h, %u) are not needed.
        if (file.StartsWith('/') || file.Split('/').Any(c => c is "" or "." or "..") || file.Any(char.IsControl))
            throw s.Error("authorizedKeysFile", "must be a clean path relative to the user's home folder, e.g. .ssh/authorized_keys");
        var o = new SshOptions(s.Bool("installKeys", Defaults.InstallKeys), file);
        s.Done();
        return o;
    }
}
