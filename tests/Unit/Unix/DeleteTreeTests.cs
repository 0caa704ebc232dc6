using UcloudIm.Unix;

namespace UcloudIm.Tests.Unit.Unix;

/// <summary>
/// Removing a tree through open folders (emptying the trash, REPLACE over a folder). A folder swapped for a link
/// in the middle of a removal cannot be staged here on purpose; what is checked is that links, wherever they
/// are, are removed and never followed, and that everything else goes.
/// </summary>
public sealed class DeleteTreeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ucim-rm").FullName;

    [Fact]
    public async Task A_tree_goes_whole_and_what_its_links_name_stays()
    {
        var keep = Directory.CreateDirectory(Path.Combine(_dir, "keep")).FullName;
        await File.WriteAllTextAsync(Path.Combine(keep, "precious.txt"), "precious", TestContext.Current.CancellationToken);
        var trash = Directory.CreateDirectory(Path.Combine(_dir, "Trash")).FullName;
        var deep = Directory.CreateDirectory(Path.Combine(trash, "old", "a", "b")).FullName;
        await File.WriteAllTextAsync(Path.Combine(deep, "f.txt"), "f", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(deep, "to-keep"), keep);
        File.CreateSymbolicLink(Path.Combine(trash, "old", "to-file"), Path.Combine(keep, "precious.txt"));
        await Fifo.MakeAsync(Path.Combine(trash, "old", "a", "pipe"));
        File.CreateSymbolicLink(Path.Combine(trash, "link-at-top"), keep);
        await File.WriteAllTextAsync(Path.Combine(trash, "file.txt"), "x", TestContext.Current.CancellationToken);

        using var folder = OpenDirectory.Open(trash);
        foreach (var name in new[] { "old", "link-at-top", "file.txt", "never-there" }) folder.DeleteTree(name);

        Assert.Empty(Directory.EnumerateFileSystemEntries(trash));
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(keep, "precious.txt"), TestContext.Current.CancellationToken));
        Assert.Single(Directory.EnumerateFileSystemEntries(keep));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
