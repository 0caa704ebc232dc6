using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Files;

/// <summary>
/// Folder, move and trash, run as the user. Conflicts are resolved with atomic calls (mkdir, renameat2 with
/// RENAME_NOREPLACE), so two requests racing for one name never overwrite each other.
/// </summary>
[SupportedOSPlatform("linux")]
public static class FileOperations
{
    public const int FolderMode = 0b111_111_000; // 0770, further limited by the instance's umask
    public const string TrashFolder = "Trash";

    /// <summary>Makes the folder; returns where it was made (another name under RENAME).</summary>
    public static string CreateFolder(string path, WriteConflictPolicy policy)
    {
        if (FileSystemCalls.TryMakeDirectory(path, FolderMode)) return path;
        var existing = FileStat.Of(path, followLinks: true);
        switch (policy)
        {
            case WriteConflictPolicy.Reject:
                throw new ConflictException($"{Path.GetFileName(path)} already exists");
            case WriteConflictPolicy.MergeRename when existing?.Kind == FileKind.Directory:
            case WriteConflictPolicy.Replace when existing?.Kind == FileKind.Directory:
                return path; // the folder is there: nothing to merge into it
            case WriteConflictPolicy.Replace:
                File.Delete(path);
                return FileSystemCalls.TryMakeDirectory(path, FolderMode) ? path : throw new ConflictException($"{Path.GetFileName(path)} appeared again while it was being replaced");
            default:
                foreach (var candidate in WriteConflict.Candidates(path))
                {
                    if (FileSystemCalls.TryMakeDirectory(candidate, FolderMode)) return candidate;
                }
                throw new ConflictException($"no free name for {Path.GetFileName(path)} after {WriteConflict.MaxRenames} tries");
        }
    }

    /// <summary>Moves <paramref name="from"/> to <paramref name="to"/>; returns where it ended up.</summary>
    public static string Move(string from, string to, WriteConflictPolicy policy)
    {
        if (from == to) return to;
        if (to.StartsWith(from.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new InvalidPathException("A folder cannot be moved into itself");
        var source = FileStat.Of(from) ?? throw new FileNotFoundException($"{Path.GetFileName(from)} does not exist");
        try
        {
            return Rename(from, to, source, policy);
        }
        catch (UnixIOException e) when (e.Errno == FileSystemCalls.EXDEV)
        {
            // At the top, or (merging folders) at a mount point below.
            throw new InvalidPathException("Moving between file systems is not supported yet; copy instead");
        }
    }

    private static string Rename(string from, string to, FileStat source, WriteConflictPolicy policy)
    {
        if (FileSystemCalls.TryRenameNoReplace(from, to)) return to;
        switch (policy)
        {
            case WriteConflictPolicy.Reject:
                throw new ConflictException($"{Path.GetFileName(to)} already exists");
            case WriteConflictPolicy.Replace:
                try
                {
                    FileSystemCalls.Rename(from, to);
                }
                catch (UnixIOException e) when (e.Errno is FileSystemCalls.ENOTEMPTY or FileSystemCalls.EISDIR or FileSystemCalls.ENOTDIR or FileSystemCalls.EEXIST)
                {
                    // A non-empty folder, or a folder and a file: remove what is there, then move.
                    using (var parent = OpenDirectory.Open(Path.GetDirectoryName(to)!)) parent.DeleteTree(Path.GetFileName(to));
                    FileSystemCalls.Rename(from, to);
                }
                return to;
            case WriteConflictPolicy.MergeRename when source.Kind == FileKind.Directory && FileStat.Of(to)?.Kind == FileKind.Directory:
                using (var fromParent = OpenDirectory.Open(Path.GetDirectoryName(from)!))
                using (var toParent = OpenDirectory.Open(Path.GetDirectoryName(to)!))
                    Merge(fromParent, Path.GetFileName(from), toParent, Path.GetFileName(to));
                return to;
            default:
                foreach (var candidate in WriteConflict.Candidates(to))
                {
                    if (FileSystemCalls.TryRenameNoReplace(from, candidate)) return candidate;
                }
                throw new ConflictException($"no free name for {Path.GetFileName(to)} after {WriteConflict.MaxRenames} tries");
        }
    }

    /// <summary>
    /// Moves what is in the folder <paramref name="from"/> into the folder <paramref name="to"/>: a folder that is in
    /// both is merged in turn, anything else in the way gets the next free name; then the emptied folder goes. Both
    /// trees are walked by open folders (O_NOFOLLOW, one level at a time) and entries renamed between descriptors, so a
    /// folder swapped for a link while the merge runs is refused (ELOOP), never walked into: by path, the moved
    /// files would land where another member's link pointed.
    /// </summary>
    private static void Merge(OpenDirectory fromParent, string from, OpenDirectory toParent, string to)
    {
        using (var source = fromParent.Descend([from]))
        using (var target = toParent.Descend([to]))
        {
            foreach (var name in source.Names())
            {
                if (source.TryRename(name, target, name, replace: false)) continue;
                if (FileStat.Of(source, name)?.Kind == FileKind.Directory && FileStat.Of(target, name)?.Kind == FileKind.Directory)
                    Merge(source, name, target, name);
                else if (!WriteConflict.Candidates(name).Any(candidate => source.TryRename(name, target, candidate, replace: false)))
                    throw new ConflictException($"no free name for {name} after {WriteConflict.MaxRenames} tries");
            }
        }
        fromParent.DeleteEmptyFolder(from);
    }

    /// <summary>Moves to the drive's Trash folder (made 0770 if missing) under a free name; returns where.</summary>
    public static string Trash(string path, string driveRoot)
    {
        if (path.TrimEnd('/') == driveRoot.TrimEnd('/')) throw new InvalidPathException("A drive cannot be moved to the trash");
        var trash = Path.Join(driveRoot, TrashFolder);
        if (path.TrimEnd('/') == trash) throw new InvalidPathException("The trash folder cannot be moved to the trash; empty it instead");
        FileSystemCalls.TryMakeDirectory(trash, FolderMode);
        return Move(path, Path.Join(trash, Path.GetFileName(path)), WriteConflictPolicy.Rename);
    }
}
