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
    /// is stat-ed, so the first page of a 100 000-entry folder costs one readdir and a page of statx. Sorted
    /// by size or modification time, the first page stats every entry and fixes the order its later pages
    /// follow.
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
        if (listing is null)
        {
            var read = ReadNames(localDirectory, ucloudDirectory, hideHidden);
            listing = new CachedListing(read);
            ListingCache.Shared.Put(localDirectory, hideHidden, stat.ChangedAtNs, listing);
            // The first page of a large folder needs only its first names, picked in one pass; the whole folder
            // is sorted in the background for the pages after it (which wait for that sort, never repeat it).
            if (sort == SortField.Path && after is null && read.Count > size)
            {
                var first = First(read, size, descending);
                listing.SortInBackground();
                return ReadPage(localDirectory, ucloudDirectory, ListingOrder.NamesAsListed(first, descending), 0, size, more: true);
            }
        }
        var order = OrderOf(listing, localDirectory, sort, descending, fresh: after is null);
        return ReadPage(localDirectory, ucloudDirectory, order, after is { } a ? order.FirstAfter(a) : 0, size, more: false);
    }

    /// <summary>
    /// The order of a listing. By name: the cached sorted names. By a key: the order taken at this listing's
    /// first page (<paramref name="fresh"/>, which stats every entry), kept for its later pages.
    /// </summary>
    private static ListingOrder OrderOf(CachedListing listing, string localDirectory, SortField sort, bool descending, bool fresh)
    {
        if (sort == SortField.Path) return ListingOrder.ByName(listing.Sorted, descending);
        if (fresh || listing.ByKey(sort) is null)
        {
            using var dir = OpenDirectory.Open(localDirectory);
            listing.SetByKey(sort, ListingOrder.SortByKey(listing.Sorted, name => Stat(dir, name) is { } s
                ? sort == SortField.Size ? s.Size : s.ModifiedAtMs
                : null));
        }
        return ListingOrder.ByKey(sort, listing.ByKey(sort)!, descending);
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

    /// <summary>
    /// Up to <paramref name="size"/> entries from position <paramref name="start"/> of an order, each stat-ed now;
    /// the cursor carries the order's key, so the next page continues in that order.
    /// </summary>
    private static PageV2<ProviderFile> ReadPage(string localDirectory, string ucloudDirectory, ListingOrder order, int start, int size, bool more)
    {
        using var dir = OpenDirectory.Open(localDirectory);
        var page = new List<ProviderFile>(Math.Min(size, Math.Max(0, order.Count - start)));
        BrowseCursor? last = null;
        var i = start;
        for (; i < order.Count && page.Count < size; i++)
        {
            var (key, name) = order[i];
            // An entry removed since the order was taken is simply not listed.
            if (Stat(dir, name) is { } s) page.Add(ToProviderFile(UcloudPath.Child(ucloudDirectory, name), s));
            last = new BrowseCursor(order.Sort, order.Descending, key, name);
        }
        return new PageV2<ProviderFile>(page, size, i < order.Count || more ? last?.Encode() : null);
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
