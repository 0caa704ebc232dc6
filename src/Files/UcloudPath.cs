namespace UcloudIm.Files;

/// <summary>A UCloud path ("/&lt;driveId&gt;/a/b") refused for a reason the end-user can act on.</summary>
public sealed class InvalidPathException(string message) : Exception(message);

/// <summary>
/// Maps UCloud paths to local paths. The mapping is lexical and strict: a component that is empty after
/// collapsing '//', '.', '..', or holds NUL or a control character is refused, never normalised away, so a
/// path cannot climb out of its drive by construction. Symbolic links inside a drive are the OS's business:
/// the user instance runs as the user and the kernel checks every access.
/// </summary>
public static class UcloudPath
{
    /// <summary>The drive's local root: the text after the newline in providerGeneratedId.</summary>
    public static string DriveRoot(string? providerGeneratedId)
    {
        var nl = providerGeneratedId?.IndexOf('\n') ?? -1;
        if (providerGeneratedId is null || nl < 0)
            throw new InvalidPathException("The drive has no local path (providerGeneratedId is not '<id>\\n<path>')");
        var root = providerGeneratedId[(nl + 1)..];
        if (!root.StartsWith('/') || HasBadCharacters(root) || root.Split('/').Any(c => c is "." or ".."))
            throw new InvalidPathException("The drive's local path is not a clean absolute path");
        return root.Length > 1 ? root.TrimEnd('/') : root;
    }

    /// <summary>The components after the drive id; the first component must be <paramref name="driveId"/>.</summary>
    public static IReadOnlyList<string> Components(string driveId, string ucloudPath)
    {
        if (string.IsNullOrEmpty(ucloudPath) || ucloudPath[0] != '/')
            throw new InvalidPathException($"Paths start with '/<drive>': got '{Printable(ucloudPath)}'");
        if (HasBadCharacters(ucloudPath))
            throw new InvalidPathException("The path contains NUL or control characters");
        var parts = ucloudPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != driveId)
            throw new InvalidPathException($"The path '{Printable(ucloudPath)}' is not in drive {driveId}");
        foreach (var p in parts)
        {
            if (p is "." or "..") throw new InvalidPathException("The path may not contain '.' or '..' components");
        }
        return parts[1..];
    }

    /// <summary>The local path for a UCloud path inside the given drive.</summary>
    public static string ToLocal(string driveId, string? providerGeneratedId, string ucloudPath)
    {
        var root = DriveRoot(providerGeneratedId);
        var rest = Components(driveId, ucloudPath);
        if (rest.Count == 0) return root;
        return (root == "/" ? "" : root) + "/" + string.Join('/', rest);
    }

    /// <summary>The UCloud path of a child entry, given its parent's UCloud path.</summary>
    public static string Child(string parentUcloudPath, string name) =>
        parentUcloudPath.TrimEnd('/') + "/" + name;

    private static bool HasBadCharacters(string s)
    {
        foreach (var c in s)
        {
            if (c < 0x20 || c == 0x7f) return true;
        }
        return false;
    }

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).Take(200).ToArray());
}
