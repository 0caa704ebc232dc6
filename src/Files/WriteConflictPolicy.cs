namespace UcloudIm.Files;

/// <summary>What to do when the target of a write already exists (UCloud's WriteConflictPolicy).</summary>
public enum WriteConflictPolicy
{
    /// <summary>Pick a free name: "report(1).pdf", "report(2).pdf", …</summary>
    Rename,
    /// <summary>Refuse.</summary>
    Reject,
    /// <summary>Overwrite what is there.</summary>
    Replace,
    /// <summary>Folders merge into the existing folder; files are renamed.</summary>
    MergeRename,
}

/// <summary>The target exists and the policy says not to touch it.</summary>
public sealed class ConflictException(string message) : Exception(message);

public static class WriteConflict
{
    public static WriteConflictPolicy Parse(string? text) => text?.ToUpperInvariant() switch
    {
        null or "" or "REJECT" => WriteConflictPolicy.Reject,
        "RENAME" => WriteConflictPolicy.Rename,
        "REPLACE" => WriteConflictPolicy.Replace,
        "MERGE_RENAME" => WriteConflictPolicy.MergeRename,
        _ => throw new InvalidPathException($"Unknown conflict policy '{text}'; use RENAME, REJECT, REPLACE or MERGE_RENAME"),
    };

    public const int MaxRenames = 9999;

    /// <summary>"dir/report(n).pdf" for n = 1, 2, …: the number goes before the last extension; dot files keep their name whole.</summary>
    public static IEnumerable<string> Candidates(string path)
    {
        var dir = Path.GetDirectoryName(path) ?? "";
        var name = Path.GetFileName(path);
        var dot = name.LastIndexOf('.');
        var (stem, ext) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        for (var n = 1; n <= MaxRenames; n++) yield return Path.Join(dir, $"{stem}({n}){ext}");
    }
}
