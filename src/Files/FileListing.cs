using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.Versioning;
using System.Text;
using UcloudIm.Contracts;
using UcloudIm.Unix;

namespace UcloudIm.Files;

public enum SortField { Path, Size, ModifiedAt }

/// <summary>Browsing and stat-ing files as the process's own user: the OS decides what may be read.</summary>
[SupportedOSPlatform("linux")]
public static class FileListing
{
    public const int DefaultItemsPerPage = 50;
    public const int MaxItemsPerPage = 1000;

    /// <summary>One page of a directory, sorted; <c>next</c> is an opaque cursor for the following page.</summary>
    public static PageV2<ProviderFile> Browse(
        string localDirectory, string ucloudDirectory, int? itemsPerPage, string? next, SortField sort, bool descending, bool hideHidden)
    {
        var size = Math.Clamp(itemsPerPage ?? DefaultItemsPerPage, 1, MaxItemsPerPage);
        var offset = DecodeCursor(next);
        var stat = StatOrThrow(localDirectory, ucloudDirectory, follow: true);
        if (stat.Kind != FileKind.Directory) throw new InvalidPathException($"{ucloudDirectory} is not a folder");

        List<(string Name, FileStat Stat)> entries;
        try
        {
            var names = new FileSystemEnumerable<string>(localDirectory, (ref FileSystemEntry e) => e.FileName.ToString(),
                new EnumerationOptions { IgnoreInaccessible = false, RecurseSubdirectories = false, AttributesToSkip = 0, ReturnSpecialDirectories = false });
            entries = [];
            foreach (var name in names)
            {
                if (hideHidden && name.StartsWith('.')) continue;
                // An entry removed between readdir and stat is simply not listed.
                if (Stat(Path.Join(localDirectory, name), follow: true) is { } s) entries.Add((name, s));
            }
        }
        catch (UnauthorizedAccessException)
        {
            throw new UnixIOException(13, ucloudDirectory);
        }

        Comparison<(string Name, FileStat Stat)> byName = (a, b) => string.CompareOrdinal(a.Name, b.Name);
        Comparison<(string Name, FileStat Stat)> compare = sort switch
        {
            SortField.Size => (a, b) => a.Stat.Size != b.Stat.Size ? a.Stat.Size.CompareTo(b.Stat.Size) : byName(a, b),
            SortField.ModifiedAt => (a, b) => a.Stat.ModifiedAtMs != b.Stat.ModifiedAtMs ? a.Stat.ModifiedAtMs.CompareTo(b.Stat.ModifiedAtMs) : byName(a, b),
            _ => byName,
        };
        entries.Sort(descending ? (a, b) => compare(b, a) : compare);

        var page = entries.Skip(offset).Take(size).Select(e => ToProviderFile(UcloudPath.Child(ucloudDirectory, e.Name), e.Stat)).ToList();
        var nextOffset = offset + page.Count;
        return new PageV2<ProviderFile>(page, size, nextOffset < entries.Count ? EncodeCursor(nextOffset) : null);
    }

    public static ProviderFile Retrieve(string localPath, string ucloudPath) =>
        ToProviderFile(ucloudPath, StatOrThrow(localPath, ucloudPath, follow: true));

    public static ProviderFile ToProviderFile(string ucloudPath, FileStat s) => new(
        ucloudPath,
        s.CreatedAtMs ?? s.ModifiedAtMs,
        new FileStatus(
            s.Kind switch { FileKind.Directory => FileTypes.Directory, FileKind.SymbolicLink => FileTypes.SoftLink, _ => FileTypes.File },
            "",
            s.Size,
            s.ModifiedAtMs,
            s.AccessedAtMs,
            s.Mode & 0x1FF,
            s.Uid,
            s.Gid));

    /// <summary>stat following links; a dangling link is reported as the link itself.</summary>
    private static FileStat? Stat(string path, bool follow)
    {
        var s = FileStat.Of(path);
        if (follow && s is { Kind: FileKind.SymbolicLink }) return FileStat.Of(path, followLinks: true) ?? s;
        return s;
    }

    private static FileStat StatOrThrow(string path, string ucloudPath, bool follow) =>
        Stat(path, follow) ?? throw new FileNotFoundException($"{ucloudPath} does not exist");

    // The cursor is opaque to Core; it carries a version so a later format can be told apart.
    internal static string EncodeCursor(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("v1:" + offset.ToString(CultureInfo.InvariantCulture)));

    internal static int DecodeCursor(string? next)
    {
        if (string.IsNullOrEmpty(next)) return 0;
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(next));
            if (text.StartsWith("v1:", StringComparison.Ordinal) &&
                int.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        }
        catch (FormatException) { }
        throw new InvalidPathException("The 'next' token is not one this provider issued");
    }
}
