using UcloudIm.Cli.Doctor;
using UcloudIm.Configuration;

namespace UcloudIm.Tests.Unit.Cli;

/// <summary>doctor's ssh check reads sshd's effective configuration: installed keys help only in a file sshd reads.</summary>
public sealed class DoctorSshTests
{
    // Lines of `sshd -T` from Debian 12's openssh-server 9.2 with its stock sshd_config.
    private const string Debian = "port 22\nusepam yes\npubkeyauthentication yes\nstrictmodes yes\nauthorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n";

    [Fact]
    public void The_default_file_is_one_stock_sshd_reads() =>
        Assert.True(DoctorChecks.SshFinding(Debian, SshOptions.Defaults with { InstallKeys = true }).Ok);

    [Fact]
    public void A_file_sshd_does_not_read_is_named_with_the_way_out()
    {
        var f = DoctorChecks.SshFinding(Debian, new SshOptions(true, ".ssh/authorized_keys.ucloud"));
        Assert.False(f.Ok);
        Assert.Contains("sshd reads only .ssh/authorized_keys .ssh/authorized_keys2", f.Detail);
        Assert.Contains("add .ssh/authorized_keys.ucloud to AuthorizedKeysFile", f.Fix);
        Assert.True(DoctorChecks.SshFinding(Debian.Replace(".ssh/authorized_keys2", "%h/.ssh/authorized_keys.ucloud"), new SshOptions(true, ".ssh/authorized_keys.ucloud")).Ok);
    }

    [Fact]
    public void Public_key_logins_turned_off_is_a_finding() =>
        Assert.False(DoctorChecks.SshFinding(Debian.Replace("pubkeyauthentication yes", "pubkeyauthentication no"), SshOptions.Defaults).Ok);

    [Fact]
    public void No_sshd_on_this_node_points_at_the_login_nodes()
    {
        var f = DoctorChecks.SshFinding(null, SshOptions.Defaults);
        Assert.True(f.Ok);
        Assert.Contains("login nodes", f.Detail);
    }

    [Fact]
    public async Task The_login_jobs_name_must_answer_as_an_ssh_server()
    {
        var ct = TestContext.Current.CancellationToken;
        var ssh = await FindingFromAsync("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", ct);
        Assert.True(ssh.Ok, ssh.Detail);
        Assert.EndsWith("answers SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 (the login jobs started with SSH name)", ssh.Detail);

        var web = await FindingFromAsync("HTTP/1.1 400 Bad Request\r\n\r\n", ct);
        Assert.False(web.Ok);
        Assert.Contains("answers, but not as an SSH server ('HTTP/1.1 400 Bad Request')", web.Detail);

        var silent = await FindingFromAsync(null, ct);
        Assert.False(silent.Ok);
        Assert.Contains("did not answer within", silent.Detail);

        // A port nobody listens on: the one a listener had a moment ago.
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var refused = await DoctorChecks.SshLoginFindingAsync("127.0.0.1", port, TimeSpan.FromSeconds(5), ct);
        Assert.False(refused.Ok);
        Assert.Contains($"127.0.0.1:{port} cannot be reached from this node", refused.Detail);
        Assert.Contains("services.ssh.host", refused.Fix);
    }

    /// <summary>The finding for a loopback server that greets with <paramref name="greeting"/> (or says nothing).</summary>
    private static async Task<Finding> FindingFromAsync(string? greeting, CancellationToken ct)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(ct);
            if (greeting is not null) await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(greeting), ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }, ct);
        var finding = await DoctorChecks.SshLoginFindingAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), ct);
        await serve;
        return finding;
    }
}
