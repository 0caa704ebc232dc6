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
}
