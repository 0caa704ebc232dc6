namespace UcloudIm.Files;

/// <summary>
/// What is kept of one folder between the pages of its listings. Its names, sorted (ordinal, ascending) once
/// by whichever asks first: a background sort started for the pages after the first, or the next page
/// itself; every other caller waits for that one sort. The order by size or by modification time taken at
/// the first page of such a listing, so that its later pages continue in that order: a file that grows
/// between pages neither jumps a page nor comes twice.
/// </summary>
public sealed class CachedListing(List<string> names)
{
    private readonly Lazy<List<string>> _sorted = new(() =>
    {
        names.Sort(StringComparer.Ordinal);
        return names;
    }, LazyThreadSafetyMode.ExecutionAndPublication);
    private (long Key, string Name)[]? _bySize, _byModified;

    /// <summary>The names in ordinal order; callers must not change the list.</summary>
    public List<string> Sorted => _sorted.Value;

    public void SortInBackground() => ThreadPool.UnsafeQueueUserWorkItem(static self => _ = self.Sorted, this, preferLocal: false);

    /// <summary>The order by a key taken at the first page of such a listing, or null.</summary>
    internal (long Key, string Name)[]? ByKey(SortField sort) => Volatile.Read(ref sort == SortField.Size ? ref _bySize : ref _byModified);

    internal void SetByKey(SortField sort, (long Key, string Name)[] ascending) =>
        Volatile.Write(ref sort == SortField.Size ? ref _bySize : ref _byModified, ascending);
}

/// <summary>
/// What is kept of the few folders being paged through (<see cref="CachedListing"/>), so that page 50 of a
/// 100 000-entry folder does not read and sort the folder again. An entry is used only while the folder's
/// ctime (nanoseconds) is the one it was read at, so any entry added, removed or renamed makes the next page
/// read the folder anew. Per-entry details (size, times) are always stat-ed fresh.
/// </summary>
public sealed class ListingCache(int capacity = 8, TimeSpan? maxAge = null)
{
    private readonly TimeSpan _maxAge = maxAge ?? TimeSpan.FromMinutes(5);
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, long ChangedAtNs, DateTime ReadAt, CachedListing Names)> _entries = new();

    public static readonly ListingCache Shared = new();

    public CachedListing? Get(string directory, bool hideHidden, long changedAtNs)
    {
        var key = Key(directory, hideHidden);
        lock (_lock)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key) continue;
                if (node.Value.ChangedAtNs != changedAtNs || DateTime.UtcNow - node.Value.ReadAt > _maxAge)
                {
                    _entries.Remove(node);
                    return null;
                }
                _entries.Remove(node);
                _entries.AddFirst(node);
                return node.Value.Names;
            }
            return null;
        }
    }

    public void Put(string directory, bool hideHidden, long changedAtNs, CachedListing listing)
    {
        var key = Key(directory, hideHidden);
        lock (_lock)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key) { _entries.Remove(node); break; }
            }
            _entries.AddFirst((key, changedAtNs, DateTime.UtcNow, listing));
            while (_entries.Count > capacity) _entries.RemoveLast();
        }
    }

    private static string Key(string directory, bool hideHidden) => (hideHidden ? "h:" : "a:") + directory;
}
