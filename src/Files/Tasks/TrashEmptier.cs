using System.Runtime.Versioning;
using UcloudIm.Unix;

namespace UcloudIm.Files.Tasks;

/// <summary>
/// Removes everything in a trash folder (not the folder), as the user; links are removed, never followed, even
/// one swapped in for a folder while it is removed (<see cref="OpenDirectory.DeleteTree"/>).
/// </summary>
[SupportedOSPlatform("linux")]
public static class TrashEmptier
{
    public static int Run(string trash, IProgress<TaskProgress>? progress, CancellationToken ct)
    {
        if (Path.GetFileName(trash.TrimEnd('/')) != FileOperations.TrashFolder)
            throw new InvalidPathException($"Only a {FileOperations.TrashFolder} folder can be emptied");
        if (FileStat.Of(trash)?.Kind != FileKind.Directory) return 0;
        using var folder = OpenDirectory.Open(trash);
        var entries = folder.Names();
        var failed = new List<string>();
        var last = 0L;
        for (var i = 0; i < entries.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                folder.DeleteTree(entries[i]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed.Add(entries[i]);
            }
            if (Environment.TickCount64 - last > 1000)
            {
                last = Environment.TickCount64;
                progress?.Report(new TaskProgress($"{i + 1} of {entries.Count} items removed", (i + 1) * 100 / entries.Count));
            }
        }
        // Unlike the reference, failures are not ignored: the user learns what is still there and why.
        if (failed.Count > 0)
            throw new UnauthorizedAccessException($"{failed.Count} item(s) could not be removed (permission denied or in use): {string.Join(", ", failed.Take(5))}{(failed.Count > 5 ? ", …" : "")}");
        return entries.Count;
    }
}
