using System.Formats.Tar;
using System.Text;
using UcloudIm.Files;
using UcloudIm.Tests.Unit.Unix;

namespace UcloudIm.Tests.Unit.Files;

/// <summary>Archives of real folders (what a user cannot read is covered by the integration tests, which do not run as root).</summary>
public sealed class FolderArchiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ucim-tar").FullName;

    [Fact]
    public async Task A_folder_reached_through_a_link_is_a_folder_and_the_report_never_replaces_a_file_of_the_folder()
    {
        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "a.txt"), "a", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(data, FolderArchive.ErrorsEntry), "the user's own", TestContext.Current.CancellationToken);
        await Fifo.MakeAsync(Path.Combine(data, "pipe"));
        var via = Path.Combine(_dir, "via");
        File.CreateSymbolicLink(via, data);

        using var archive = new MemoryStream();
        await FolderArchive.WriteAsync(via, archive, TestContext.Current.CancellationToken);
        archive.Position = 0;
        var entries = new Dictionary<string, (TarEntryType Type, string Text)>();
        using (var tar = new TarReader(archive))
        {
            while (tar.GetNextEntry() is { } e)
                entries.Add(e.Name, (e.EntryType, e.DataStream is null ? "" : new StreamReader(e.DataStream, Encoding.UTF8).ReadToEnd()));
        }
        Assert.Equal("via.tar", FolderArchive.NameOf(via));
        Assert.Equal(TarEntryType.Directory, entries["via"].Type);
        Assert.Equal("a", entries["via/a.txt"].Text);
        Assert.Equal("the user's own", entries["via/" + FolderArchive.ErrorsEntry].Text);
        Assert.DoesNotContain("via/pipe", entries.Keys);
        Assert.Contains("via/pipe: left out (not a regular file, folder or link)", entries["via/ucloud-download-errors-2.txt"].Text);
        Assert.Equal(4, entries.Count);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
