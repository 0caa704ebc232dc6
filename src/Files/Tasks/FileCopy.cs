using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Files.Tasks;

/// <summary>
/// Copies a file or a folder tree, as the user, so that running it again after an interruption finishes
/// the job instead of starting over or duplicating: each file is copied to a hidden temporary name and
/// renamed when whole, with its modification time and mode; a file already at the target with the same
/// size and modification time is skipped. Symbolic links are copied as links, never followed; below the two
/// folders named, neither tree is walked through a link, even one swapped in while the copy runs.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FileCopy(string from, string to, bool mergeRename, IProgress<TaskProgress>? progress = null)
{
    private long _totalBytes, _doneBytes;
    private int _totalFiles, _doneFiles, _skipped;

    /// <summary>Files copied and skipped (already there), when done.</summary>
    public (int Copied, int Skipped) Result => (_doneFiles - _skipped, _skipped);

    public void Run(CancellationToken ct)
    {
        var source = FileStat.Of(from) ?? throw new FileNotFoundException($"{Path.GetFileName(from)} does not exist");
        Measure(from, source, ct);
        using (var fromDir = OpenDirectory.Open(Path.GetDirectoryName(from)!))
        using (var toDir = OpenDirectory.Open(Path.GetDirectoryName(to)!))
            Copy(fromDir, Path.GetFileName(from), toDir, Path.GetFileName(to), source, ct);
        Report();
    }

    private void Measure(string path, FileStat stat, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (stat.Kind == FileKind.Regular)
        {
            _totalFiles++;
            _totalBytes += stat.Size;
        }
        else if (stat.Kind == FileKind.Directory)
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(path))
            {
                if (FileStat.Of(child) is { } s) Measure(child, s, ct);
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="name"/> of the folder held open as <paramref name="fromDir"/> to <paramref name="toName"/>
    /// of <paramref name="toDir"/>. Both trees are walked by open folders, one component at a time and never
    /// through a link: in a project folder another member can swap a folder for a link while the copy runs, and a
    /// walk by paths would then read (and hand the group) whatever the link names, or write into it.
    /// </summary>
    private void Copy(OpenDirectory fromDir, string name, OpenDirectory toDir, string toName, FileStat stat, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        switch (stat.Kind)
        {
            case FileKind.Directory:
                if (!toDir.TryMakeDirectory(toName, FileOperations.FolderMode) && FileStat.Of(toDir, toName)?.Kind != FileKind.Directory)
                    throw new ConflictException($"{toName} exists and is not a folder");
                using (var source = fromDir.Descend([name]))
                using (var target = toDir.Descend([toName]))
                {
                    foreach (var child in source.Names().Order(StringComparer.Ordinal))
                    {
                        if (FileStat.Of(source, child) is { } s) Copy(source, child, target, child, s, ct);
                    }
                }
                break;
            case FileKind.Regular:
                CopyFile(fromDir, name, toDir, toName, stat, ct);
                break;
            case FileKind.SymbolicLink:
                if (FileStat.Of(toDir, toName) is null) File.CreateSymbolicLink(toDir.PathOf(toName), new FileInfo(fromDir.PathOf(name)).LinkTarget!);
                break;
            default:
                break; // sockets, pipes and devices are not copied
        }
    }

    private void CopyFile(OpenDirectory fromDir, string name, OpenDirectory toDir, string toName, FileStat stat, CancellationToken ct)
    {
        // Under MERGE_RENAME a different file keeps its name and the copy takes "name(1)", …; looking for an
        // equal file among those names first is what keeps a resumed merge from copying twice.
        foreach (var candidate in mergeRename ? WriteConflict.Candidates(toName).Prepend(toName) : [toName])
        {
            var there = FileStat.Of(toDir, candidate);
            if (there is { Kind: FileKind.Regular } t && t.Size == stat.Size && t.ModifiedAtMs == stat.ModifiedAtMs)
            {
                _skipped++;
                Done(stat.Size);
                return;
            }
            if (there is not null && mergeRename) continue;
            var temp = "." + candidate + ".copy-part";
            // The source is read only if it is still a regular file (not a link or FIFO put in its place since the
            // stat), and the data goes to a file made new at the temporary name. File.Copy followed a link someone
            // had left at that name, as the user, into any file of theirs; and it waited on a FIFO for ever.
            using (var input = FileSystemCalls.OpenRegularForReading(fromDir.PathOf(name), followLinks: false))
            using (var output = FileSystemCalls.ReplaceWithNewFile(toDir.PathOf(temp), 0b110_000_000))
            {
                FileSystemCalls.CopyData(input, output, ct);
                File.SetUnixFileMode(output, (UnixFileMode)(stat.Mode & 0b111_111_111));
                OpenDirectory.SetModifiedTime(output, stat.ModifiedAtMs);
            }
            toDir.TryRename(temp, candidate, replace: true);
            Done(stat.Size);
            return;
        }
        throw new ConflictException($"no free name for {toName}");
    }

    private long _lastReport;

    private void Done(long bytes)
    {
        _doneFiles++;
        _doneBytes += bytes;
        if (Environment.TickCount64 - _lastReport > 1000) Report();
    }

    private void Report()
    {
        _lastReport = Environment.TickCount64;
        var pct = _totalBytes > 0 ? (int)(_doneBytes * 100 / _totalBytes) : _totalFiles > 0 ? _doneFiles * 100 / _totalFiles : 100;
        progress?.Report(new TaskProgress($"{_doneFiles} of {_totalFiles} files, {Sizes.Human(_doneBytes)} of {Sizes.Human(_totalBytes)}", pct));
    }
}
