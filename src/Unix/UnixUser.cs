using System.Runtime.Versioning;

namespace UcloudIm.Unix;

/// <summary>A passwd entry, resolved through NSS (so LDAP/SSSD users are found like local ones).</summary>
public sealed record UnixUser(string Name, uint Uid, uint Gid, string Home, string Shell);

[SupportedOSPlatform("linux")]
public static unsafe class UserDatabase
{
    /// <summary>The user called <paramref name="name"/>, or null when there is none.</summary>
    public static UnixUser? FindByName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0')) return null;
        return Lookup((pwd, buf, len, result) => Libc.getpwnam_r(name, pwd, buf, len, result));
    }

    /// <summary>The user with <paramref name="uid"/>, or null when there is none.</summary>
    public static UnixUser? FindByUid(uint uid) =>
        Lookup((pwd, buf, len, result) => Libc.getpwuid_r(uid, pwd, buf, len, result));

    /// <summary>Every group the user is in (primary group included), as getgrouplist(3) reports it.</summary>
    public static uint[] GroupsOf(UnixUser user)
    {
        var count = 64;
        while (true)
        {
            var groups = new uint[count];
            int n = count;
            int rc;
            fixed (uint* p = groups) rc = Libc.getgrouplist(user.Name, user.Gid, p, &n);
            if (rc >= 0)
            {
                Array.Resize(ref groups, n);
                Array.Sort(groups);
                return groups;
            }
            count = Math.Max(n, count * 2);
            if (count > 1 << 16) throw new InvalidOperationException($"user {user.Name} is in too many groups");
        }
    }

    /// <summary>Whether the user with <paramref name="uid"/> is in group <paramref name="gid"/> now (false when there is no such user).</summary>
    public static bool IsMember(uint uid, uint gid) => FindByUid(uid) is { } user && GroupsOf(user).Contains(gid);

    /// <summary>The gid of the group called <paramref name="name"/>, or null when there is none.</summary>
    public static uint? FindGroupId(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0')) return null;
        return LookupGroup((grp, buf, len, result) => Libc.getgrnam_r(name, grp, buf, len, result))?.Gid;
    }

    /// <summary>The name of group <paramref name="gid"/>, or null when there is none.</summary>
    public static string? FindGroupName(uint gid) =>
        LookupGroup((grp, buf, len, result) => Libc.getgrgid_r(gid, grp, buf, len, result))?.Name;

    private delegate int GroupCall(Libc.Group* grp, byte* buf, nuint len, Libc.Group** result);

    private static (uint Gid, string Name)? LookupGroup(GroupCall call)
    {
        var size = 4096;
        while (true)
        {
            var buffer = new byte[size];
            Libc.Group grp;
            Libc.Group* result = null;
            int rc;
            fixed (byte* b = buffer) rc = call(&grp, b, (nuint)size, &result);
            if (rc == Libc.ERANGE) { size *= 2; continue; }
            if (rc != 0) throw new IOException($"group lookup failed with errno {rc}");
            return result == null ? null : (grp.Gid, Libc.Utf8(grp.Name) ?? "");
        }
    }

    private delegate int PasswdCall(Libc.Passwd* pwd, byte* buf, nuint len, Libc.Passwd** result);

    private static UnixUser? Lookup(PasswdCall call)
    {
        var size = 4096;
        while (true)
        {
            var buffer = new byte[size];
            Libc.Passwd pwd;
            Libc.Passwd* result = null;
            int rc;
            fixed (byte* b = buffer) rc = call(&pwd, b, (nuint)size, &result);
            if (rc == Libc.ERANGE) { size *= 2; continue; }
            if (rc != 0) throw new IOException($"passwd lookup failed with errno {rc}");
            if (result == null) return null;
            return new UnixUser(Libc.Utf8(pwd.Name)!, pwd.Uid, pwd.Gid, Libc.Utf8(pwd.Dir) ?? "/", Libc.Utf8(pwd.Shell) ?? "");
        }
    }
}
