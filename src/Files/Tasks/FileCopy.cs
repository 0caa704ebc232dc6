using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Files.Tasks;

/// <summary>
/// Copies a file or a folder tree, as the user, so that running it again after an interruption finishes
/// the job instead of starting over or duplicating: each file is copied to a hidden temporary name and
/// renamed when whole, with its modification time and mode; a file already at the target with the same
/// size and modification time is skipped. Symbolic links are copied as links, never followed.
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
        Copy(from, to, source, ct);
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

    private void Copy(string source, string target, FileStat stat, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        switch (stat.Kind)
        {
            case FileKind.Directory:
                if (!FileSystemCalls.TryMakeDirectory(target, FileOperations.FolderMode) && FileStat.Of(target)?.Kind != FileKind.Directory)
                    throw new ConflictException($"{Path.GetFileName(target)} exists and is not a folder");
                foreach (var child in Directory.EnumerateFileSystemEntries(source).Order(StringComparer.Ordinal))
                {
                    if (FileStat.Of(child) is { } s) Copy(child, Path.Join(target, Path.GetFileName(child)), s, ct);
                }
                break;
            case FileKind.Regular:
                CopyFile(source, target, stat);
                break;
            case FileKind.SymbolicLink:
                if (FileStat.Of(target) is null) File.CreateSymbolicLink(target, new FileInfo(source).LinkTarget!);
                break;
            default:
                break; // sockets, pipes and devices are not copied
        }
    }

    private void CopyFile(string source, string target, FileStat stat)
    {
        // Under MERGE_RENAME a different file keeps its name and the copy takes "name(1)", …; looking for an
        // equal file among those names first is what keeps a resumed merge from copying twice.
        foreach (var candidate in mergeRename ? WriteConflict.Candidates(target).Prepend(target) : [target])
        {
            var there = FileStat.Of(candidate);
            if (there is { Kind: FileKind.Regular } t && t.Size == stat.Size && t.ModifiedAtMs == stat.ModifiedAtMs)
            {
                _skipped++;
                Done(stat.Size);
                return;
            }
            if (there is not null && mergeRename) continue;
            var temp = Path.Join(Path.GetDirectoryName(candidate), "." + Path.GetFileName(candidate) + ".copy-part");
            File.Copy(source, temp, overwrite: true);
            File.SetUnixFileMode(temp, (UnixFileMode)(stat.Mode & 0b111_111_111));
            File.SetLastWriteTimeUtc(temp, DateTimeOffset.FromUnixTimeMilliseconds(stat.ModifiedAtMs).UtcDateTime);
            FileSystemCalls.Rename(temp, candidate);
            Done(stat.Size);
            return;
        }
        throw new ConflictException($"no free name for {Path.GetFileName(target)}");
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
