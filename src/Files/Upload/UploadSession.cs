using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Files.Upload;

public enum UploadKind { File, Folder }

/// <summary>
/// What an upload token grants: a file to write, or a folder to write into, below a drive root. The path
/// below the root is kept as components and only ever walked with <see cref="OpenDirectory.Descend"/>, so
/// no link can take a write outside the drive, whatever is swapped in while the upload runs.
/// </summary>
public sealed record UploadSession(UploadKind Kind, WriteConflictPolicy Policy, string DriveRoot, IReadOnlyList<string> Below)
{
    public const string Purpose = "upload";

    /// <summary>The token's subject: one line each (paths here never hold control characters).</summary>
    public string Encode() => string.Join('\n', Kind, Policy, DriveRoot, string.Join('/', Below));

    public static UploadSession Decode(string subject)
    {
        var p = subject.Split('\n');
        if (p.Length != 4 || !Enum.TryParse<UploadKind>(p[0], out var kind) || !Enum.TryParse<WriteConflictPolicy>(p[1], out var policy))
            throw new LinkRefusedException("The upload link is damaged");
        var below = p[3].Length == 0 ? [] : p[3].Split('/');
        if (kind == UploadKind.File && below.Length == 0) throw new LinkRefusedException("The upload link is damaged");
        return new UploadSession(kind, policy, p[2], below);
    }

    /// <summary>
    /// Starts an upload of <paramref name="ucloudPath"/>, as the user: for a folder, makes it (or, under
    /// RENAME, a free name; under MERGE_RENAME or REPLACE, uses the one there); for a file, picks its name
    /// (a free one under RENAME, refused under REJECT when taken). The parent must exist.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static UploadSession Create(UploadKind kind, WriteConflictPolicy policy, string driveId, string? providerGeneratedId, string ucloudPath)
    {
        var root = UcloudPath.DriveRoot(providerGeneratedId);
        var below = UcloudPath.Components(driveId, ucloudPath);
        if (below.Count == 0)
        {
            if (kind == UploadKind.File) throw new InvalidPathException("A file cannot be uploaded in place of a drive");
            return new UploadSession(kind, policy, root, below);
        }
        using var drive = OpenDirectory.Open(root);
        using var parent = drive.Descend(below.Take(below.Count - 1));
        var name = below[^1];
        // Said now, not after the first chunk has travelled.
        if (!parent.CanWrite()) throw new UnauthorizedAccessException($"cannot write in the folder of {name}");
        var chosen = kind == UploadKind.Folder ? ChooseFolder(parent, name, policy) : ChooseFile(parent, name, policy);
        return new UploadSession(kind, policy, root, [.. below.Take(below.Count - 1), chosen]);
    }

    [SupportedOSPlatform("linux")]
    private static string ChooseFolder(OpenDirectory parent, string name, WriteConflictPolicy policy)
    {
        if (parent.TryMakeDirectory(name, FileOperations.FolderMode)) return name;
        var existing = FileStat.Of(parent, name);
        switch (policy)
        {
            case WriteConflictPolicy.MergeRename or WriteConflictPolicy.Replace when existing?.Kind == FileKind.Directory:
                return name;
            case WriteConflictPolicy.Rename or WriteConflictPolicy.MergeRename:
                foreach (var candidate in WriteConflict.Candidates(name))
                {
                    if (parent.TryMakeDirectory(candidate, FileOperations.FolderMode)) return candidate;
                }
                throw new ConflictException($"no free name for {name} after {WriteConflict.MaxRenames} tries");
            default:
                throw new ConflictException(existing?.Kind == FileKind.Directory ? $"{name} already exists" : $"{name} already exists and is not a folder");
        }
    }

    [SupportedOSPlatform("linux")]
    private static string ChooseFile(OpenDirectory parent, string name, WriteConflictPolicy policy)
    {
        var existing = FileStat.Of(parent, name);
        if (existing is null) return name;
        if (existing.Value.Kind == FileKind.Directory) throw new ConflictException($"{name} is a folder");
        return policy switch
        {
            WriteConflictPolicy.Replace => name,
            WriteConflictPolicy.Reject => throw new ConflictException($"{name} already exists"),
            _ => WriteConflict.Candidates(name).FirstOrDefault(c => FileStat.Of(parent, c) is null)
                ?? throw new ConflictException($"no free name for {name} after {WriteConflict.MaxRenames} tries"),
        };
    }
}
