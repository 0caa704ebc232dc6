using UcloudIm.Cli.Doctor;

namespace UcloudIm.Tests.Unit.Cli;

/// <summary>doctor's terminals check reads srun's version: job terminals need srun --overlap (Slurm 20.11 and later).</summary>
public sealed class DoctorTerminalsTests
{
    [Theory]
    [InlineData("slurm-wlm 22.05.8")]
    [InlineData("slurm 20.11.0")]
    [InlineData("slurm 24.05.3")]
    public void A_slurm_with_overlap_is_fine(string version) => Assert.True(DoctorChecks.TerminalsFinding(version, "srun").Ok);

    [Fact]
    public void An_older_slurm_is_named_with_the_way_out()
    {
        var f = DoctorChecks.TerminalsFinding("slurm 20.02.7", "srun");
        Assert.False(f.Ok);
        Assert.Contains("--overlap", f.Detail);
        Assert.Contains("userInstances.terminals: false", f.Fix);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("srun: command not found")]
    public void An_srun_that_says_no_version_is_a_finding(string? said)
    {
        var f = DoctorChecks.TerminalsFinding(said, "/opt/slurm/bin/srun");
        Assert.False(f.Ok);
        Assert.Contains("/opt/slurm/bin/srun", f.Detail);
    }
}
