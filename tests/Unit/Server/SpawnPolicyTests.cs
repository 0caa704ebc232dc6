using UcloudIm.Configuration;
using UcloudIm.Server.Instances;
using UcloudIm.Unix;

namespace UcloudIm.Tests.Unit.Server;

public sealed class SpawnPolicyTests
{
    private static readonly InstanceOptions Options = InstanceOptions.Defaults;
    private static readonly UnixUser Alice = new("alice", 41231, 41231, "/home/alice", "/bin/bash");
    private const uint Allowed = 1001, Gateway = 995, Server = 999;

    [Fact]
    public void Sudo_is_asked_for_exactly_one_binary_as_one_uid_without_a_prompt()
    {
        var (file, args) = SudoCommand.Build(Options, 41231);
        Assert.Equal("/usr/bin/sudo", file);
        Assert.Equal(["-n", "-u", "#41231", "--", "/opt/ucloud-im/bin/ucloud-im-user"], args);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(999u)]
    public void Sudo_is_never_asked_for_root_or_a_system_uid(uint uid) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SudoCommand.Build(Options, uid));

    [Fact]
    public void A_member_of_the_allowed_group_is_eligible() =>
        Assert.Null(Eligibility.Refusal(Alice.Uid, Alice, [41231, Allowed], Allowed, Options, Gateway, Server));

    [Fact]
    public void Root_is_refused() =>
        Assert.Contains("root", Eligibility.Refusal(0, Alice with { Uid = 0, Name = "root" }, [0, Allowed], Allowed, Options, Gateway, Server));

    [Fact]
    public void A_system_account_is_refused_even_in_the_group() =>
        Assert.Contains("system account", Eligibility.Refusal(2, Alice with { Uid = 2, Name = "bin" }, [Allowed], Allowed, Options, Gateway, Server));

    [Fact]
    public void A_user_outside_the_allowed_group_is_told_how_to_fix_it() =>
        Assert.Contains("usermod -aG ucloud-users alice", Eligibility.Refusal(Alice.Uid, Alice, [41231], Allowed, Options, Gateway, Server));

    [Fact]
    public void A_uid_without_a_passwd_entry_is_refused() =>
        Assert.Contains("does not exist", Eligibility.Refusal(50000, null, [], Allowed, Options, Gateway, Server));

    [Theory]
    [InlineData(Gateway)]
    [InlineData(Server)]
    public void The_modules_own_accounts_are_refused(uint uid) =>
        Assert.Contains("service accounts", Eligibility.Refusal(uid, Alice with { Uid = uid }, [Allowed], Allowed, Options with { MinimumUid = 100 }, Gateway, Server));

    [Fact]
    public void A_missing_allowed_group_is_reported() =>
        Assert.Contains("does not exist", Eligibility.Refusal(Alice.Uid, Alice, [Allowed], null, Options, Gateway, Server));

    [Theory]
    [InlineData("sudo: a password is required", "check /etc/sudoers.d/ucloud-im")]
    [InlineData("ucloud-im-user: refusing to start: this program never runs as root", "never runs as root")]
    [InlineData(null, "no error output")]
    public void Launch_failures_are_explained(string? stderr, string expected) =>
        Assert.Contains(expected, InstanceLauncher.Explain(stderr));
}
