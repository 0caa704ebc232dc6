namespace UcloudIm.Files;

/// <summary>
/// A folder's entries in the order of one listing: position i is the i-th entry sent. Keys are 0 when sorted
/// by name, else the size or modification time (ms) the entry had when the order was taken. Entries are
/// strictly increasing in (key, name) ascending, strictly decreasing descending, so a cursor has one place.
/// </summary>
internal sealed class ListingOrder
{
    private readonly Func<int, (long Key, string Name)> _at;

    private ListingOrder(SortField sort, bool descending, int count, Func<int, (long Key, string Name)> at)
    {
        Sort = sort;
        Descending = descending;
        Count = count;
        _at = at;
    }

    public SortField Sort { get; }
    public bool Descending { get; }
    public int Count { get; }

    public (long Key, string Name) this[int position] => _at(position);

    /// <summary>Names sorted ordinally ascending (read only).</summary>
    public static ListingOrder ByName(List<string> ascending, bool descending) =>
        new(SortField.Path, descending, ascending.Count, descending ? i => (0, ascending[ascending.Count - 1 - i]) : i => (0, ascending[i]));

    /// <summary>Names already in the order of a listing by name (read only): the first page picked without a sort.</summary>
    public static ListingOrder NamesAsListed(List<string> inOrder, bool descending) =>
        new(SortField.Path, descending, inOrder.Count, i => (0, inOrder[i]));

    /// <summary>Entries sorted ascending by (key, name) (read only).</summary>
    public static ListingOrder ByKey(SortField sort, (long Key, string Name)[] ascending, bool descending) =>
        new(sort, descending, ascending.Length, descending ? i => ascending[ascending.Length - 1 - i] : i => ascending[i]);

    /// <summary>The position of the first entry strictly after the cursor: a binary search, the order being strict.</summary>
    public int FirstAfter(BrowseCursor cursor)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            var (key, name) = _at(mid);
            if (IsAfter(key, name, cursor)) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private bool IsAfter(long key, string name, BrowseCursor c)
    {
        var cmp = Compare((key, name), (c.Key, c.Name));
        return Descending ? cmp < 0 : cmp > 0;
    }

    /// <summary>The ascending order of entries: by key, then by name (ordinal).</summary>
    private static int Compare((long Key, string Name) x, (long Key, string Name) y) =>
        x.Key != y.Key ? x.Key.CompareTo(y.Key) : string.CompareOrdinal(x.Name, y.Name);

    /// <summary>The ascending (key, name) order of the names, by each one's key; names gone since they were read are left out.</summary>
    public static (long Key, string Name)[] SortByKey(IEnumerable<string> names, Func<string, long?> keyOf)
    {
        var entries = new List<(long Key, string Name)>();
        foreach (var name in names)
        {
            if (keyOf(name) is { } key) entries.Add((key, name));
        }
        var array = entries.ToArray();
        Array.Sort(array, Compare);
        return array;
    }
}
