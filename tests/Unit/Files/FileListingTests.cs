using UcloudIm.Files;

namespace UcloudIm.Tests.Unit.Files;

/// <summary>Listing a real directory: every entry once, in order, whatever the page size and sort.</summary>
public sealed class FileListingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ucim-list").FullName;

    public FileListingTests()
    {
        var rnd = new Random(7);
        for (var i = 0; i < 237; i++)
        {
            var path = Path.Combine(_dir, $"f{rnd.Next(1000):D4}-{i}" + (i % 5 == 0 ? " space|pipé" : ""));
            File.WriteAllBytes(path, new byte[rnd.Next(0, 50)]);
            File.SetLastWriteTimeUtc(path, new DateTime(2026, 1, 1).AddSeconds(rnd.Next(0, 40)));
        }
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, ".hidden"), "x");
    }

    private List<(string Name, long Size, long Modified)> All(SortField sort, bool descending, int pageSize, Action<int>? betweenPages = null)
    {
        var result = new List<(string, long, long)>();
        string? next = null;
        var page = 0;
        do
        {
            var p = FileListing.Browse(_dir, "/d", pageSize, next, sort, descending, hideHidden: false);
            Assert.True(p.Items.Count <= pageSize);
            result.AddRange(p.Items.Select(f => (Path.GetFileName(f.Id), f.Status.SizeInBytes, f.Status.ModifiedAt)));
            next = p.Next;
            betweenPages?.Invoke(page++);
        } while (next is not null);
        return result;
    }

    [Theory]
    [InlineData(SortField.Path, false, 1)]
    [InlineData(SortField.Path, true, 10)]
    [InlineData(SortField.Size, false, 7)]
    [InlineData(SortField.Size, true, 50)]
    [InlineData(SortField.ModifiedAt, false, 13)]
    [InlineData(SortField.ModifiedAt, true, 1000)]
    public void Every_entry_comes_once_in_order(SortField sort, bool descending, int pageSize)
    {
        var listed = All(sort, descending, pageSize);
        var expected = Directory.EnumerateFileSystemEntries(_dir).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, listed.Select(l => l.Name).Order(StringComparer.Ordinal).ToList());
        Func<(string Name, long Size, long Modified), long> key = sort switch { SortField.Size => l => l.Size, SortField.ModifiedAt => l => l.Modified, _ => _ => 0 };
        var ordered = descending
            ? listed.OrderByDescending(key).ThenByDescending(l => l.Name, StringComparer.Ordinal)
            : listed.OrderBy(key).ThenBy(l => l.Name, StringComparer.Ordinal);
        Assert.Equal(ordered.Select(l => l.Name), listed.Select(l => l.Name));
    }

    [Fact]
    public void Entries_added_or_removed_between_pages_do_not_shift_the_others()
    {
        var before = Directory.EnumerateFileSystemEntries(_dir).Select(p => Path.GetFileName(p)).ToHashSet();
        var removed = new List<string>();
        var listed = All(SortField.Path, false, 20, page =>
        {
            File.WriteAllText(Path.Combine(_dir, $"a-new-{page}"), "");     // sorts before everything listed so far
            var victim = Directory.EnumerateFiles(_dir, "f9*").Order(StringComparer.Ordinal).LastOrDefault();
            if (victim is not null && page % 3 == 0) { File.Delete(victim); removed.Add(Path.GetFileName(victim)); }
        }).Select(l => l.Name).ToList();
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.All(before.Except(removed), name => Assert.Contains(name, listed));
    }

    [Fact]
    public void An_entry_added_after_the_first_page_is_listed_when_its_turn_comes()
    {
        var listed = All(SortField.Path, false, 25, page => { if (page == 0) File.WriteAllText(Path.Combine(_dir, "zzz-late"), ""); });
        Assert.Equal("zzz-late", listed[^1].Name);
        var descending = All(SortField.Path, true, 25, page => { if (page == 0) File.WriteAllText(Path.Combine(_dir, "-early"), ""); });
        Assert.Equal("-early", descending[^1].Name);
    }

    [Theory]
    [InlineData(SortField.Size, false)]
    [InlineData(SortField.Size, true)]
    [InlineData(SortField.ModifiedAt, false)]
    [InlineData(SortField.ModifiedAt, true)]
    public void A_file_that_changes_between_pages_of_a_sorted_listing_comes_exactly_once(SortField sort, bool descending)
    {
        // Re-sorted at every page, a file sent on page 1 that then grows (or ages) would come again on a later
        // page, and one not yet sent that shrinks would be skipped. The order taken at page 1 is kept instead.
        var changed = new List<string>();
        var listed = All(sort, descending, 10, page =>
        {
            if (page != 0) return;
            var entries = Directory.EnumerateFiles(_dir).Select(p => new FileInfo(p))
                .OrderBy(i => sort == SortField.Size ? i.Length : i.LastWriteTimeUtc.Ticks).ThenBy(i => i.Name, StringComparer.Ordinal).ToList();
            if (descending) entries.Reverse();
            var sent = entries[0];
            var notYet = entries[^1];
            foreach (var (file, early) in new[] { (sent, false), (notYet, true) })
            {
                // Moved to the other end of the order: to its end for the one sent, to its start for the other.
                var largest = early == descending;
                if (sort == SortField.Size) File.WriteAllBytes(file.FullName, new byte[largest ? 5000 : 0]);
                else File.SetLastWriteTimeUtc(file.FullName, largest ? new DateTime(2030, 1, 1) : new DateTime(2000, 1, 1));
                changed.Add(file.Name);
            }
        }).Select(l => l.Name).ToList();
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Equal(Directory.EnumerateFileSystemEntries(_dir).Count(), listed.Count);
        Assert.All(changed, name => Assert.Contains(name, listed));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(50, true)]
    [InlineData(999, false)]
    [InlineData(1000, true)]
    public void The_first_page_picked_without_a_full_sort_is_the_sorted_listings_first_page(int size, bool descending)
    {
        var rnd = new Random(size);
        var names = Enumerable.Range(0, 1000).Select(i => $"{(char)rnd.Next(0x20, 0x2FF)}{rnd.Next(100)}-{i % 97}").ToList();
        var sorted = names.Order(StringComparer.Ordinal).ToList();
        if (descending) sorted.Reverse();
        Assert.Equal(sorted.Take(size), FileListing.First([.. names], size, descending));
    }

    [Fact]
    public void Hidden_files_can_be_filtered()
    {
        var p = FileListing.Browse(_dir, "/d", 1000, null, SortField.Path, false, hideHidden: true);
        Assert.DoesNotContain(p.Items, f => Path.GetFileName(f.Id).StartsWith('.'));
        Assert.Contains(FileListing.Browse(_dir, "/d", 1000, null, SortField.Path, false, hideHidden: false).Items, f => f.Id == "/d/.hidden");
    }

    [Fact]
    public void Page_size_is_clamped_to_1000()
    {
        for (var i = 0; i < 1100; i++) File.WriteAllText(Path.Combine(_dir, $"z{i}"), "");
        var p = FileListing.Browse(_dir, "/d", 5000, null, SortField.Path, false, false);
        Assert.Equal((1000, 1000), (p.Items.Count, p.ItemsPerPage));
        Assert.NotNull(p.Next);
    }

    [Theory]
    [InlineData("garbage!")]
    [InlineData("djI")]
    public void A_cursor_not_issued_here_is_refused(string next) =>
        Assert.Throws<InvalidPathException>(() => FileListing.Browse(_dir, "/d", 10, next, SortField.Path, false, false));

    [Fact]
    public void A_cursor_of_another_sort_order_is_refused()
    {
        var next = FileListing.Browse(_dir, "/d", 10, null, SortField.Size, false, false).Next;
        Assert.Throws<InvalidPathException>(() => FileListing.Browse(_dir, "/d", 10, next, SortField.Path, false, false));
        Assert.Throws<InvalidPathException>(() => FileListing.Browse(_dir, "/d", 10, next, SortField.Size, true, false));
    }

    [Fact]
    public void A_missing_folder_and_a_file_are_reported_as_such()
    {
        Assert.Throws<FileNotFoundException>(() => FileListing.Browse(Path.Combine(_dir, "nope"), "/d/nope", 10, null, SortField.Path, false, false));
        var file = Directory.EnumerateFiles(_dir).First();
        Assert.Throws<InvalidPathException>(() => FileListing.Browse(file, "/d/f", 10, null, SortField.Path, false, false));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
