using System.IO.Enumeration;
using System.Runtime.Versioning;
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

    /// <summary>
    /// One page of a folder, in order. Sorted by name, only the names are read and sorted and only the page
    /// is stat-ed, so the first page of a 100 000-entry folder costs one readdir and a page of statx.
    /// </summary>
    public static PageV2<ProviderFile> Browse(
        string localDirectory, string ucloudDirectory, int? itemsPerPage, string? next, SortField sort, bool descending, bool hideHidden)
    {
        var size = Math.Clamp(itemsPerPage ?? DefaultItemsPerPage, 1, MaxItemsPerPage);
        var after = BrowseCursor.Decode(next, sort, descending);
        var stat = StatOrThrow(localDirectory, ucloudDirectory);
        if (stat.Kind != FileKind.Directory) throw new InvalidPathException($"{ucloudDirectory} is not a folder");

        // Sorted ascending, shared through the cache: read only, walked backwards for a descending listing.
        var listing = ListingCache.Shared.Get(localDirectory, hideHidden, stat.ChangedAtNs);
        List<string>? firstNames = null;
        if (listing is null)
        {
            var read = ReadNames(localDirectory, ucloudDirectory, hideHidden);
            // The first page of a large folder needs only its first names, picked in one pass; the whole folder
            // is sorted in the background for the pages after it (which wait for that sort, never repeat it).
            if (sort == SortField.Path && after is null && read.Count > size) firstNames = First(read, size, descending);
            listing = new SortedNames(read);
            ListingCache.Shared.Put(localDirectory, hideHidden, stat.ChangedAtNs, listing);
            if (firstNames is not null) listing.SortInBackground();
        }
        using var dir = OpenDirectory.Open(localDirectory);
        if (firstNames is not null) return PathPage(dir, ucloudDirectory, firstNames.Count, i => firstNames[i], 0, size, descending, more: true);
        var names = listing.Sorted;
        if (sort == SortField.Path)
        {
            // Position in listing order: i-th entry is names[i] ascending, names[Count-1-i] descending.
            var start = after is { } a ? FirstAfter(names, a.Name, descending) : 0;
            return PathPage(dir, ucloudDirectory, names.Count, descending ? i => names[names.Count - 1 - i] : i => names[i], start, size, descending, more: false);
        }

        var page = new List<ProviderFile>(size);
        BrowseCursor? last = null;
        var entries = new List<(long Key, string Name, FileStat Stat)>(names.Count);
        foreach (var name in names)
        {
            if (Stat(dir, name) is { } s) entries.Add((sort == SortField.Size ? s.Size : s.ModifiedAtMs, name, s));
        }
        Comparison<(long Key, string Name, FileStat Stat)> compare = (x, y) =>
            x.Key != y.Key ? x.Key.CompareTo(y.Key) : string.CompareOrdinal(x.Name, y.Name);
        entries.Sort(descending ? (x, y) => compare(y, x) : compare);
        var from = 0;
        if (after is { } c)
        {
            while (from < entries.Count && !IsAfter(entries[from].Key, entries[from].Name, c, descending)) from++;
        }
        var j = from;
        for (; j < entries.Count && page.Count < size; j++)
        {
            page.Add(ToProviderFile(UcloudPath.Child(ucloudDirectory, entries[j].Name), entries[j].Stat));
            last = new BrowseCursor(sort, descending, entries[j].Key, entries[j].Name);
        }
        return new PageV2<ProviderFile>(page, size, j < entries.Count ? last?.Encode() : null);
    }

    public static ProviderFile Retrieve(string localPath, string ucloudPath) =>
        ToProviderFile(ucloudPath, StatOrThrow(localPath, ucloudPath));

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

    /// <summary>Up to <paramref name="size"/> entries from position <paramref name="start"/> of a listing by name.</summary>
    private static PageV2<ProviderFile> PathPage(
        OpenDirectory dir, string ucloudDirectory, int count, Func<int, string> nameAt, int start, int size, bool descending, bool more)
    {
        var page = new List<ProviderFile>(size);
        BrowseCursor? last = null;
        var i = start;
        for (; i < count && page.Count < size; i++)
        {
            var name = nameAt(i);
            // An entry removed between readdir and stat is simply not listed.
            if (Stat(dir, name) is { } s) page.Add(ToProviderFile(UcloudPath.Child(ucloudDirectory, name), s));
            last = new BrowseCursor(SortField.Path, descending, 0, name);
        }
        return new PageV2<ProviderFile>(page, size, i < count || more ? last?.Encode() : null);
    }

    /// <summary>
    /// The first <paramref name="size"/> names in listing order (ordinal, ascending or descending), in one pass
    /// with a heap of that size: O(n log size) instead of sorting all n names.
    /// </summary>
    internal static List<string> First(List<string> names, int size, bool descending)
    {
        // The heap's top is the name that would leave the page first: the greatest of the page when ascending.
        Comparison<string> order = descending ? (x, y) => string.CompareOrdinal(y, x) : string.CompareOrdinal;
        var heap = new PriorityQueue<string, string>(size, Comparer<string>.Create((x, y) => order(y, x)));
        foreach (var name in names)
        {
            if (heap.Count < size) heap.Enqueue(name, name);
            else if (order(name, heap.Peek()) < 0) heap.DequeueEnqueue(name, name);
        }
        var first = new List<string>(heap.Count);
        while (heap.Count > 0) first.Add(heap.Dequeue());
        first.Reverse();
        return first;
    }

    private static List<string> ReadNames(string localDirectory, string ucloudDirectory, bool hideHidden)
    {
        try
        {
            var names = new List<string>();
            var e = new FileSystemEnumerable<string>(localDirectory, (ref FileSystemEntry entry) => entry.FileName.ToString(),
                new EnumerationOptions { IgnoreInaccessible = false, RecurseSubdirectories = false, AttributesToSkip = 0, ReturnSpecialDirectories = false });
            foreach (var name in e)
            {
                if (!hideHidden || !name.StartsWith('.')) names.Add(name);
            }
            return names;
        }
        catch (UnauthorizedAccessException)
        {
            throw new UnixIOException(13, ucloudDirectory);
        }
    }

    /// <summary>Position, in listing order, of the first name strictly after <paramref name="name"/>.</summary>
    private static int FirstAfter(List<string> ascending, string name, bool descending)
    {
        // Ascending: the count of names <= name. Descending: the count of names >= name.
        int lo = 0, hi = ascending.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (descending ? string.CompareOrdinal(ascending[mid], name) < 0 : string.CompareOrdinal(ascending[mid], name) <= 0) lo = mid + 1; else hi = mid;
        }
        return descending ? ascending.Count - lo : lo;
    }

    private static bool IsAfter(long key, string name, BrowseCursor c, bool descending)
    {
        var cmp = key != c.Key ? key.CompareTo(c.Key) : string.CompareOrdinal(name, c.Name);
        return descending ? cmp < 0 : cmp > 0;
    }

    /// <summary>stat following links; a dangling link is reported as the link itself.</summary>
    private static FileStat? Stat(OpenDirectory dir, string name)
    {
        var s = FileStat.Of(dir, name);
        if (s is { Kind: FileKind.SymbolicLink }) return FileStat.Of(dir, name, followLinks: true) ?? s;
        return s;
    }

    private static FileStat? Stat(string path)
    {
        var s = FileStat.Of(path);
        if (s is { Kind: FileKind.SymbolicLink }) return FileStat.Of(path, followLinks: true) ?? s;
        return s;
    }

    private static FileStat StatOrThrow(string path, string ucloudPath) =>
        Stat(path) ?? throw new FileNotFoundException($"{ucloudPath} does not exist");
}
