namespace UcloudIm.Configuration;

/// <summary>
/// <c>services.ssh</c>: whether the SSH keys users keep in UCloud are installed for them on this cluster, and into
/// which file of their home folder (off by default: a site decides whether users may log in with keys at all); and
/// the login node users reach by SSH, which a job started with SSH enabled names in its status.
/// </summary>
public sealed record SshOptions(bool InstallKeys, string AuthorizedKeysFile, string? Host = null, int Port = 22)
{
    public static readonly SshOptions Defaults = new(false, ".ssh/authorized_keys");

    internal static SshOptions Read(YamlSection? s)
    {
        if (s is null) return Defaults;
        var file = s.String("authorizedKeysFile") ?? Defaults.AuthorizedKeysFile;
        // Relative to the home folder, as the instance writes it as the user; sshd's own tokens (%h, %u) are not needed.
        if (file.StartsWith('/') || file.Split('/').Any(c => c is "" or "." or "..") || file.Any(char.IsControl))
            throw s.Error("authorizedKeysFile", "must be a clean path relative to the user's home folder, e.g. .ssh/authorized_keys");
        var host = s.String("host");
        // Shown to users as part of a command they copy: a host name or an address, nothing a shell would read more into.
        if (host is not null && Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
            throw s.Error("host", "must be the host name or address users log in to, e.g. login.hpc.example.org");
        var o = new SshOptions(s.Bool("installKeys", Defaults.InstallKeys), file, host, s.Int("port", Defaults.Port, 1, 65535));
        s.Done();
        return o;
    }

    /// <summary>The status line a job started with SSH enabled gets: how its owner (<paramref name="localUser"/>) logs in, and into the job.</summary>
    public string JobStatus(string localUser, long slurmId)
    {
        if (Host is null) return "SSH was asked for, but this provider has no SSH login configured; ask its administrators how to log in";
        var port = Port == 22 ? "" : $" -p {Port}";
        return $"SSH: log in with 'ssh {localUser}@{Host}{port}'; while the job runs, 'srun --jobid {slurmId} --overlap --pty bash -l' there opens a shell inside it";
    }
}
