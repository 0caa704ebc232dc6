using System.Globalization;
using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Files;

/// <summary>
/// Why the kernel said "permission denied", in words a user can act on: which folder (or file) on the way
/// is closed to them, whose it is, and whether they are missing from its group, or were added to it after
/// their instance started (the kernel checks the groups a process started with, so that wait ends when the
/// instance is restarted with the new group).
/// </summary>
[SupportedOSPlatform("linux")]
public static class AccessDenial
{
    private const int WriteIn = FileSystemCalls.WriteAccess | FileSystemCalls.SearchAccess;

    /// <summary>
    /// The reason for a refusal on <paramref name="ucloudPath"/> of a drive, or null when no step on the way
    /// is closed to this process (the refusal came from something else: an ACL, a read-only mount).
    /// </summary>
    /// <param name="write">The operation makes, moves or removes the entry: the folder holding it must be writable.</param>
    public static string? Explain(string driveId, string? providerGeneratedId, string ucloudPath, bool write)
    {
        try
        {
            var root = UcloudPath.DriveRoot(providerGeneratedId);
            var below = UcloudPath.Components(driveId, ucloudPath);
            var local = root;
            var shown = "/" + driveId;
            for (var i = 0; i <= below.Count; i++)
            {
                if (i > 0)
                {
                    local = (local == "/" ? "" : local) + "/" + below[i - 1];
                    shown += "/" + below[i - 1];
                }
                var last = i == below.Count;
                var s = FileStat.Of(local, followLinks: true);
                if (s is null)
                {
                    // Not there: what is being made would go into the folder before it.
                    if (!last || !write || i == 0) return null;
                    return WriteInParent(local, shown);
                }
                var isFolder = s.Value.Kind == FileKind.Directory;
                if (!last)
                {
                    // Every folder on the way must be searchable.
                    if (!FileSystemCalls.CanAccess(local, FileSystemCalls.SearchAccess))
                        return Describe(shown, s.Value, true, "open", FileSystemCalls.SearchAccess);
                    continue;
                }
                // Making, moving or trashing something writes in the folder that holds it (the drive's root: in itself).
                if (write)
                {
                    if (i > 0) return WriteInParent(local, shown);
                    return FileSystemCalls.CanAccess(local, WriteIn) ? null : Describe(shown, s.Value, true, "write in", WriteIn);
                }
                // Reading: a folder must be listable, a file readable.
                var need = isFolder ? FileSystemCalls.ReadAccess | FileSystemCalls.SearchAccess : FileSystemCalls.ReadAccess;
                if (!FileSystemCalls.CanAccess(local, need)) return Describe(shown, s.Value, isFolder, isFolder ? "list" : "read", need);
            }
            return null;
        }
        catch (Exception e) when (e is InvalidPathException or UnixIOException or IOException)
        {
            return null;
        }
    }

    /// <summary>Why the folder holding <paramref name="local"/> cannot be written in, or null if it can.</summary>
    private static string? WriteInParent(string local, string shown)
    {
        var parent = Path.GetDirectoryName(local)!;
        return !FileSystemCalls.CanAccess(parent, WriteIn) && FileStat.Of(parent, followLinks: true) is { } p
            ? Describe(shown[..shown.LastIndexOf('/')], p, true, "write in", WriteIn)
            : null;
    }

    private static string Describe(string shown, FileStat s, bool isFolder, string verb, int need)
    {
        var owner = UserDatabase.FindByUid(s.Uid)?.Name ?? s.Uid.ToString(CultureInfo.InvariantCulture);
        var group = UserDatabase.FindGroupName(s.Gid) ?? s.Gid.ToString(CultureInfo.InvariantCulture);
        var what = $"you may not {verb} {(isFolder ? "the folder" : "the file")} {shown}, which belongs to {owner} and the group {group} ({Symbolic(s.Mode)})";
        var uid = ProcessIdentity.EffectiveUid;
        if (uid == s.Uid) return what + "; it is yours, but its mode does not let its owner do that";
        var inGroup = ProcessIdentity.Groups().Contains(s.Gid);
        if (((s.Mode >> 3) & need) != need)
            return what + (inGroup ? $"; its group may not {verb} it" : $"; it is open to {owner} only");
        if (inGroup) return what; // the mode would let the group in: something else (an ACL) says no
        var me = UserDatabase.FindByUid(uid);
        if (me is not null && UserDatabase.GroupsOf(me).Contains(s.Gid))
            return what + $"; you were added to {group} after your session here began, which is restarted with the new group within a minute: try again then";
        return what + $", and you ({me?.Name ?? uid.ToString(CultureInfo.InvariantCulture)}) are not in {group}";
    }

    /// <summary>rwxrws--- style, setuid/setgid/sticky included.</summary>
    internal static string Symbolic(int mode)
    {
        Span<char> c = stackalloc char[9];
        var bits = "rwxrwxrwx";
        for (var i = 0; i < 9; i++) c[i] = (mode & (1 << (8 - i))) != 0 ? bits[i] : '-';
        if ((mode & 0x800) != 0) c[2] = c[2] == 'x' ? 's' : 'S';
        if ((mode & 0x400) != 0) c[5] = c[5] == 'x' ? 's' : 'S';
        if ((mode & 0x200) != 0) c[8] = c[8] == 'x' ? 't' : 'T';
        return new string(c);
    }
}
