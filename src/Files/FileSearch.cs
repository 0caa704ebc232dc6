using System.IO.Enumeration;
using System.Runtime.Versioning;
using UcloudIm.Contracts;
using UcloudIm.Unix;

namespace UcloudIm.Files;

/// <summary>
/// Finds entries whose name contains a text (case-insensitively) below a folder, breadth first, as the
/// user: folders the user cannot read are passed over, symbolic links are reported but never followed.
/// Lazy, so the caller streams results as they are found and stops when the client goes away.
/// </summary>
[SupportedOSPlatform("linux")]
public static class FileSearch
{
    public static IEnumerable<ProviderFile> Find(string localFolder, string ucloudFolder, string query, CancellationToken ct)
    {
        var queue = new Queue<(string Local, string Ucloud)>();
        queue.Enqueue((localFolder.TrimEnd('/'), ucloudFolder.TrimEnd('/')));
        while (queue.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (local, ucloud) = queue.Dequeue();
            List<(string Name, bool Folder)> entries;
            try
            {
                entries = new FileSystemEnumerable<(string, bool)>(local,
                    (ref FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) == 0),
                    new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0, RecurseSubdirectories = false }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var (name, folder) in entries)
            {
                if (name.Contains(query, StringComparison.OrdinalIgnoreCase) && FileStat.Of(Path.Join(local, name)) is { } s)
                    yield return FileListing.ToProviderFile(UcloudPath.Child(ucloud, name), s);
                if (folder) queue.Enqueue((Path.Join(local, name), UcloudPath.Child(ucloud, name)));
            }
        }
    }
}
