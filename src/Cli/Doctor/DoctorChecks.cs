using System.Globalization;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Cli.Doctor;

/// <summary>One finding: what was checked, whether it is fine, and what to do when it is not.</summary>
internal sealed record Finding(string Check, bool Ok, string Detail, string? Fix = null);

/// <summary>
/// What `ucloud-im doctor` looks at: configuration, Core's key, sudoers, the user-instance binary, the
/// accounts, the server's socket and Slurm. Each check says what is wrong and how to fix it.
/// </summary>
internal sealed class DoctorChecks(string configDir, CommandRunner runner, string sudoersFile)
{
    public async Task<IReadOnlyList<Finding>> RunAsync(CancellationToken ct)
    {
        var findings = new List<Finding>();
        ImConfig? config = null;
        try
        {
            config = ImConfig.Load(configDir, ConfigReader.Server);
            findings.Add(new("configuration", true, $"{configDir}: config.yml, server.yml valid (provider {config.Provider.Id})"));
        }
        catch (ConfigException e)
        {
            findings.Add(new("configuration", false, e.Message, "fix the named key; docs/configuration.md lists every key"));
        }
        try
        {
            using var key = CoreKey.Load(configDir);
            findings.Add(new("Core's public key", true, $"RSA {key.KeySize} bits"));
        }
        catch (ConfigException e)
        {
            findings.Add(new("Core's public key", false, e.Message, "copy the key Core issued for this provider to ucloud_key.pub"));
        }
        if (config is null) return findings;

        var ipcOwner = FileStat.Of(config.Provider.IpcDirectory, followLinks: true);
        var service = ipcOwner is { } o ? UserDatabase.FindByUid(o.Uid) : null;
        findings.Add(service is null
            ? new("service account", false, $"{config.Provider.IpcDirectory} is missing", "run deploy/install.sh, or create it owned by the service account")
            : new("service account", service.Uid != 0, $"{service.Name} (uid {service.Uid}) owns {config.Provider.IpcDirectory}",
                service.Uid == 0 ? $"the server must not run as root: chown the service account {config.Provider.IpcDirectory}" : null));

        var gateway = UserDatabase.FindByName(config.Gateway.User);
        findings.Add(new("gateway account", gateway is not null && gateway.Uid != 0 && gateway.Uid != service?.Uid,
            gateway is null ? $"'{config.Gateway.User}' does not exist" : $"{gateway.Name} (uid {gateway.Uid})",
            gateway is null ? $"useradd --system --no-create-home --shell /usr/sbin/nologin {config.Gateway.User}" : null));

        var gid = UserDatabase.FindGroupId(config.Instances.AllowedGroup);
        findings.Add(new("allowed group", gid is not null, gid is null ? $"'{config.Instances.AllowedGroup}' does not exist" : $"{config.Instances.AllowedGroup} (gid {gid})",
            gid is null ? $"groupadd {config.Instances.AllowedGroup}, and add every mapped user to it" : null));

        findings.Add(CheckNetworking(config.Gateway, gateway, DateTimeOffset.UtcNow));
        findings.Add(CheckBinary(config.Instances.Executable));
        findings.Add(await CheckSudoersAsync(config, service, ct));
        findings.Add(await CheckServerAsync(config, ct));
        findings.Add(await CheckSlurmAsync(ct));
        findings.Add(await CheckTerminalsAsync(config, ct));
        if (config.Ssh.InstallKeys) findings.Add(await CheckSshAsync(config.Ssh, ct));
        if (config.Ssh.Host is { } sshHost) findings.Add(await SshLoginFindingAsync(sshHost, config.Ssh.Port, TimeSpan.FromSeconds(5), ct));
        if (config.FileSystems.ProjectLocators.Any()) findings.Add(await CheckProjectFoldersAsync(config, ct));
        return findings;
    }

    /// <summary>Every mapped project's drive folders: of the project's group, setgid, closed to others.</summary>
    private static async Task<Finding> CheckProjectFoldersAsync(ImConfig config, CancellationToken ct)
    {
        List<ProjectMappingView> projects;
        try
        {
            using var server = new ServerConnection(config);
            projects = await server.GetAsync("/cli/projects", WireJson.Default.ListProjectMappingView, ct);
        }
        catch (CliException e)
        {
            return new("project folders", false, $"the server did not list the projects: {e.Message}", "start the server, then run doctor again");
        }
        return ProjectFoldersFinding(projects.SelectMany(p => p.Drives.Select(d =>
            (p.LocalGroup, p.Gid, d, FileStat.Of(d, followLinks: true)))).ToList());
    }

    internal static Finding ProjectFoldersFinding(IReadOnlyList<(string Group, uint Gid, string Path, FileStat? Stat)> folders)
    {
        var problems = folders.Select(f => Projects.ProjectFolders.Problem(f.Path, f.Group, f.Gid, f.Stat)).OfType<string>().ToList();
        if (folders.Count == 0) return new("project folders", true, "no project is mapped yet (ucloud-im projects add)");
        return problems.Count == 0
            ? new("project folders", true, $"{folders.Count.ToString(CultureInfo.InvariantCulture)} folder(s) of their projects' groups, setgid, closed to others")
            : new("project folders", false, string.Join("; ", problems.Take(5)) + (problems.Count > 5 ? $"; and {problems.Count - 5} more" : ""),
                "each project's folder: install -d -g <group> -m 2770 <folder>");
    }

    /// <summary>Direct mode: the certificate pair loads, is the gateway's, and is not about to expire. Proxy mode: the relay token is the gateway's alone.</summary>
    internal static Finding CheckNetworking(GatewayOptions gateway, UnixUser? gatewayUser, DateTimeOffset now)
    {
        if (gateway.Proxy is { } proxy)
        {
            var t = FileStat.Of(proxy.TokenFile, followLinks: true);
            if (t is null) return new("networking (proxy)", false, $"{proxy.TokenFile} does not exist", "put the relay token the relay issued for this provider there (chmod 600, owned by the gateway's account)");
            if ((t.Value.Mode & 0b000_010_111) != 0 || (gatewayUser is not null && t.Value.Uid != gatewayUser.Uid))
                return new("networking (proxy)", false, $"{proxy.TokenFile} is mode {Convert.ToString(t.Value.Mode & 0x1ff, 8)}, uid {t.Value.Uid}",
                    $"chown {gatewayUser?.Name ?? "ucloud-gw"}: {proxy.TokenFile}; chmod 600 {proxy.TokenFile}");
            var detail = $"relay {proxy.Relay.GetLeftPart(UriPartial.Path)}, token in {proxy.TokenFile}";
            if (proxy.CaFile is not { } caFile) return new("networking (proxy)", true, detail + ", relay certificate checked against the system's CAs");
            using var ca = UcloudIm.Hosting.PrivateCa.TryLoad(caFile, out var problem);
            if (ca is null) return new("networking (proxy)", false, problem!, "set gateway.proxy.ca to the PEM certificate of the CA that signed the relay's certificate, or remove it to use the system's CAs");
            detail += $", relay certificate checked against {ca.Subject} only (gateway.proxy.ca), valid until {ca.NotAfter.ToUniversalTime():yyyy-MM-dd}";
            if (ExpiresSoon(ca, now) is { } caLeft)
                return new("networking (proxy)", false, detail + caLeft, "put the relay's renewed CA certificate at " + caFile);
            return new("networking (proxy)", true, detail);
        }
        if (gateway.Tls is not { } tls)
            return new("networking (direct)", true, $"plain HTTP on {gateway.ListenAddress}:{gateway.ListenPort} only; terminate TLS in front of it, or set gateway.tls");
        System.Security.Cryptography.X509Certificates.X509Certificate2 cert;
        try
        {
            cert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(tls.CertificatePath, tls.KeyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return new("networking (direct)", false, $"cannot use {tls.CertificatePath} with {tls.KeyPath}: {e.Message}", "install a matching certificate chain and key (PEM)");
        }
        using (cert)
        {
            var key = FileStat.Of(tls.KeyPath, followLinks: true);
            if (key is { } k && ((k.Mode & 0b000_000_111) != 0 || (gatewayUser is not null && k.Uid != gatewayUser.Uid && k.Uid != 0)))
                return new("networking (direct)", false, $"{tls.KeyPath} can be read by others (mode {Convert.ToString(k.Mode & 0x1ff, 8)})", $"chown {gatewayUser?.Name ?? "ucloud-gw"}: {tls.KeyPath}; chmod 600 {tls.KeyPath}");
            var names = cert.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
            var detail = $"HTTPS on {tls.Address}:{tls.Port} as {string.Join(", ", names.DefaultIfEmpty(cert.Subject))}, valid until {cert.NotAfter.ToUniversalTime():yyyy-MM-dd}";
            if (ExpiresSoon(cert, now) is { } left) return new("networking (direct)", false, detail + left, "renew the certificate; the gateway picks up the new files by itself");
            if (gateway.Apps is { } apps && !names.Contains("*." + apps.Domain, StringComparer.OrdinalIgnoreCase))
                return new("networking (direct)", false, detail, $"interactive applications are on *.{apps.Domain}, which the certificate does not cover");
            return new("networking (direct)", true, detail);
        }
    }

    /// <summary>" (expired)" or " (N days left)" for a certificate with less than 14 days to go; null otherwise.</summary>
    private static string? ExpiresSoon(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, DateTimeOffset now)
    {
        var left = certificate.NotAfter.ToUniversalTime() - now.UtcDateTime;
        if (left >= TimeSpan.FromDays(14)) return null;
        return left < TimeSpan.Zero ? " (expired)" : $" ({left.TotalDays:0} days left)";
    }

    /// <summary>The binary sudo runs as users must be root's alone: whoever can change it can become any user.</summary>
    internal static Finding CheckBinary(string path)
    {
        var s = FileStat.Of(path, followLinks: true);
        if (s is null) return new("user-instance binary", false, $"{path} does not exist", "run deploy/install.sh");
        var problems = new List<string>();
        if (s.Value.Uid != 0) problems.Add($"owned by uid {s.Value.Uid}, not root");
        if ((s.Value.Mode & 0b000_010_010) != 0) problems.Add("writable by group or others");
        if ((s.Value.Mode & 0b001_001_001) == 0) problems.Add("not executable");
        for (var dir = Path.GetDirectoryName(path); !string.IsNullOrEmpty(dir) && dir != "/"; dir = Path.GetDirectoryName(dir))
        {
            var d = FileStat.Of(dir, followLinks: true);
            if (d is { } ds && (ds.Uid != 0 || (ds.Mode & 0b000_010_010) != 0)) problems.Add($"{dir} can be changed by someone other than root");
        }
        return problems.Count == 0
            ? new("user-instance binary", true, $"{path}: root-owned, mode {Convert.ToString(s.Value.Mode, 8)}")
            : new("user-instance binary", false, $"{path}: {string.Join("; ", problems)}", $"chown root:root {path}; chmod 755 {path}");
    }

    private async Task<Finding> CheckSudoersAsync(ImConfig config, UnixUser? service, CancellationToken ct)
    {
        if (!File.Exists(sudoersFile))
            return new("sudoers", false, $"{sudoersFile} is missing", "install deploy/sudoers/ucloud-im (deploy/install.sh does)");
        var syntax = await runner.RunAsync(new ExternalCommand("visudo", ["-c", "-q", "-f", sudoersFile]), ct);
        if (!syntax.Succeeded) return new("sudoers", false, $"visudo -c rejects {sudoersFile}: {syntax.Stderr.Trim()}{syntax.Stdout.Trim()}", "fix its syntax");
        if (service is null) return new("sudoers", false, "cannot check the rule without the service account");
        var list = await runner.RunAsync(new ExternalCommand("sudo", ["-n", "-l", "-U", service.Name]), ct);
        var text = list.Stdout;
        var allows = text.Contains(config.Instances.Executable, StringComparison.Ordinal) && text.Contains("%" + config.Instances.AllowedGroup, StringComparison.Ordinal);
        var tooWide = text.Split('\n').Any(l => l.Contains("(ALL", StringComparison.Ordinal) || l.Contains("(root", StringComparison.Ordinal));
        if (!allows) return new("sudoers", false, $"{service.Name} may not run {config.Instances.Executable} as members of %{config.Instances.AllowedGroup}",
            $"{service.Name} ALL=(%{config.Instances.AllowedGroup}) NOPASSWD: {config.Instances.Executable}");
        if (tooWide) return new("sudoers", false, $"{service.Name} may run commands as root or any user: {text.Trim()}", "remove every rule but the one for the user-instance binary");
        return new("sudoers", true, $"{service.Name} may run only {config.Instances.Executable}, only as members of %{config.Instances.AllowedGroup}");
    }

    private static async Task<Finding> CheckServerAsync(ImConfig config, CancellationToken ct)
    {
        try
        {
            using var server = new ServerConnection(config);
            var status = await server.GetAsync("/cli/status", WireJson.Default.ServerStatus, ct);
            return new("server", true, $"answering on {config.Provider.ServerSocket}; {status.Instances.Count.ToString(CultureInfo.InvariantCulture)} user instance(s) running");
        }
        catch (CliException e)
        {
            return new("server", false, e.Message, "start ucloud-im-server (systemctl start ucloud-im-server) and read its log");
        }
    }

    private const string TerminalsFix = "install the Slurm client (srun) on this node or set services.slurm.srun, or turn terminals off with userInstances.terminals: false";

    /// <summary>Job terminals are srun steps that share the job's resources (--overlap, Slurm 20.11 and later).</summary>
    private async Task<Finding> CheckTerminalsAsync(ImConfig config, CancellationToken ct)
    {
        if (!config.Instances.Terminals) return new("terminals", true, "turned off (userInstances.terminals: false)");
        if (config.Slurm.Machines.Count == 0) return new("terminals", true, "folder terminals; no job terminals (services.slurm has no machines)");
        try
        {
            var r = await runner.RunAsync(new ExternalCommand(config.Slurm.Srun, ["--version"]) { Timeout = TimeSpan.FromSeconds(15) }, ct);
            return TerminalsFinding(r.Succeeded ? r.Stdout.Trim() : null, config.Slurm.Srun);
        }
        catch (CommandFailedException e)
        {
            return new("terminals", false, $"{config.Slurm.Srun}: {e.Message}", TerminalsFix);
        }
    }

    /// <summary>From srun's version line ("slurm 22.05.8", "slurm-wlm 22.05.8"), or null when it did not run.</summary>
    internal static Finding TerminalsFinding(string? versionLine, string srun)
    {
        var m = System.Text.RegularExpressions.Regex.Match(versionLine ?? "", @"(\d+)\.(\d+)");
        if (!m.Success) return new("terminals", false, $"{srun} --version did not say a version ('{versionLine}')", TerminalsFix);
        var version = (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        return version.CompareTo((20, 11)) >= 0
            ? new("terminals", true, $"folder and job terminals; {versionLine} (job terminals are srun --overlap steps)")
            : new("terminals", false, $"{versionLine} has no srun --overlap (Slurm 20.11 and later): a job terminal would wait for resources its job holds",
                "upgrade Slurm, or turn terminals off with userInstances.terminals: false");
    }

    /// <summary>Installed keys are of use only if sshd reads the file they go to: its effective configuration says.</summary>
    private async Task<Finding> CheckSshAsync(SshOptions ssh, CancellationToken ct)
    {
        try
        {
            var r = await runner.RunAsync(new ExternalCommand("sshd", ["-T"]) { Timeout = TimeSpan.FromSeconds(15) }, ct);
            return SshFinding(r.Succeeded ? r.Stdout : null, ssh);
        }
        catch (CommandFailedException)
        {
            return SshFinding(null, ssh);
        }
    }

    /// <summary>From `sshd -T` (its effective configuration, one lower-case keyword and value per line), or null when there is no sshd here.</summary>
    internal static Finding SshFinding(string? sshdT, SshOptions ssh)
    {
        if (sshdT is null)
            return new("ssh keys", true, $"installed into ~/{ssh.AuthorizedKeysFile}; no sshd on this node: the login nodes' AuthorizedKeysFile must include it");
        string? Value(string keyword) => sshdT.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(keyword + " ", StringComparison.Ordinal))?[(keyword.Length + 1)..];
        if (Value("pubkeyauthentication") == "no")
            return new("ssh keys", false, "sshd here has PubkeyAuthentication no: installed keys log nobody in", "set PubkeyAuthentication yes in sshd_config, or services.ssh.installKeys: false");
        var files = (Value("authorizedkeysfile") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return files.Any(f => f == ssh.AuthorizedKeysFile || f == "%h/" + ssh.AuthorizedKeysFile)
            ? new("ssh keys", true, $"installed into ~/{ssh.AuthorizedKeysFile}, which sshd reads (AuthorizedKeysFile {string.Join(' ', files)})")
            : new("ssh keys", false, $"installed into ~/{ssh.AuthorizedKeysFile}, but sshd reads only {(files.Length == 0 ? "no file" : string.Join(' ', files))}",
                $"add {ssh.AuthorizedKeysFile} to AuthorizedKeysFile in sshd_config, or set services.ssh.authorizedKeysFile to a file it reads");
    }

    /// <summary>
    /// The login a job started with SSH names (services.ssh.host and port): an SSH server must answer there, or users
    /// are told to log in somewhere nobody listens. Every SSH server speaks first, with its "SSH-2.0-…" line (RFC 4253).
    /// </summary>
    internal static async Task<Finding> SshLoginFindingAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        const string Fix = "set services.ssh.host and services.ssh.port to the login node users reach by SSH, or check its DNS name and firewall";
        var where = $"{host}:{port}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(host, port, limit.Token);
            var buffer = new byte[256];
            var read = 0;
            var stream = client.GetStream();
            while (read < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, read) < 0)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), limit.Token);
                if (n == 0) break;
                read += n;
            }
            var line = System.Text.Encoding.ASCII.GetString(buffer, 0, read).Split('\n')[0].TrimEnd('\r');
            var shown = new string([.. line.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
            return line.StartsWith("SSH-", StringComparison.Ordinal)
                ? new("ssh login", true, $"{where} answers {shown} (the login jobs started with SSH name)")
                : new("ssh login", false, $"{where} answers, but not as an SSH server ('{shown}')", Fix);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new("ssh login", false, $"{where} did not answer within {timeout.TotalSeconds:0} s", Fix);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            return new("ssh login", false, $"{where} cannot be reached from this node: {e.Message}", Fix);
        }
    }

    private async Task<Finding> CheckSlurmAsync(CancellationToken ct)
    {
        try
        {
            var r = await runner.RunAsync(new ExternalCommand("sinfo", ["-h", "-o", "%P %a %D %T"]) { Timeout = TimeSpan.FromSeconds(15) }, ct);
            return r.Succeeded
                ? new("slurm", true, $"sinfo: {r.Stdout.Trim().Replace('\n', ';')}")
                : new("slurm", false, $"sinfo failed ({r.ExitCode}): {r.Stderr.Trim()}", "check slurmctld and munge on this node");
        }
        catch (CommandFailedException e)
        {
            return new("slurm", false, e.Message, "install the Slurm client and munge on this node");
        }
    }
}
