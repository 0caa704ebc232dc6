using UcloudIm.Cli.Doctor;
using UcloudIm.Cli.Projects;
using UcloudIm.Unix;

namespace UcloudIm.Tests.Unit.Cli;

/// <summary>A project's folder is right only as the group's, setgid and closed to others; each wrong one is named with its fix.</summary>
public sealed class ProjectFoldersTests
{
    private static FileStat Folder(int mode, uint gid = 5001) => new(FileKind.Directory, 4096, mode, 0, gid, 0, 0, 0, null);

    [Fact]
    public void A_setgid_group_folder_closed_to_others_is_right() =>
        Assert.Null(ProjectFolders.Problem("/work/chem", "chem", 5001, Folder(0b010_111_111_000)));

    [Theory]
    [InlineData(0b010_111_111_000, 100u, "belongs to gid 100, not chem: chgrp chem /work/chem")]
    [InlineData(0b010_111_111_101, 5001u, "is open to users outside chem (mode 2775): chmod o-rwx /work/chem")]
    [InlineData(0b010_111_101_000, 5001u, "cannot all read and write /work/chem (mode 2750): chmod g+rwx /work/chem")]
    [InlineData(0b000_111_111_000, 5001u, "is not setgid, so members' new files get their own group (mode 0770): chmod g+s /work/chem")]
    public void Each_wrong_folder_is_named_with_its_fix(int mode, uint gid, string expected) =>
        Assert.Contains(expected, ProjectFolders.Problem("/work/chem", "chem", 5001, Folder(mode, gid)));

    [Fact]
    public void A_missing_folder_is_given_the_command_that_makes_it()
    {
        Assert.Equal("/work/chem does not exist: install -d -g chem -m 2770 /work/chem", ProjectFolders.Problem("/work/chem", "chem", 5001, null));
        Assert.Equal("/work/chem is not a folder",
            ProjectFolders.Problem("/work/chem", "chem", 5001, new FileStat(FileKind.Regular, 1, 0b010_111_111_000, 0, 5001, 0, 0, 0, null)));
    }

    [Fact]
    public void Doctor_passes_only_when_every_folder_is_right()
    {
        Assert.True(DoctorChecks.ProjectFoldersFinding([]).Ok);
        Assert.True(DoctorChecks.ProjectFoldersFinding([("chem", 5001, "/work/chem", Folder(0b010_111_111_000))]).Ok);
        var f = DoctorChecks.ProjectFoldersFinding([("chem", 5001, "/work/chem", Folder(0b010_111_111_000)), ("bio", 5002, "/work/bio", null)]);
        Assert.False(f.Ok);
        Assert.Equal("/work/bio does not exist: install -d -g bio -m 2770 /work/bio", f.Detail);
    }
}
