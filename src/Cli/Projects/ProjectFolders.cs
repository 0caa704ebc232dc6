using System.Globalization;
using UcloudIm.Unix;

namespace UcloudIm.Cli.Projects;

/// <summary>
/// What a project's drive folder must be for the group to be the whole story: a folder of the project's group,
/// setgid (so what members make stays the project's, not their own primary group's), and closed to others.
/// </summary>
internal static class ProjectFolders
{
    /// <summary>What is wrong with the folder and the command that fixes it, or null when it is right.</summary>
    public static string? Problem(string path, string group, uint gid, FileStat? stat)
    {
        var fix = $"install -d -g {group} -m 2770 {path}";
        if (stat is null) return $"{path} does not exist: {fix}";
        var s = stat.Value;
        if (s.Kind != FileKind.Directory) return $"{path} is not a folder";
        if (s.Gid != gid) return $"{path} belongs to gid {s.Gid.ToString(CultureInfo.InvariantCulture)}, not {group}: chgrp {group} {path}";
        if ((s.Mode & 0b000_000_111) != 0) return $"{path} is open to users outside {group} (mode {Octal(s.Mode)}): chmod o-rwx {path}";
        if ((s.Mode & 0b000_111_000) != 0b000_111_000) return $"members of {group} cannot all read and write {path} (mode {Octal(s.Mode)}): chmod g+rwx {path}";
        if ((s.Mode & 0b010_000_000_000) == 0) return $"{path} is not setgid, so members' new files get their own group (mode {Octal(s.Mode)}): chmod g+s {path}";
        return null;
    }

    private static string Octal(int mode) => Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0');
}
