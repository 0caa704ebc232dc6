using UcloudIm.Files.Tasks;
using UcloudIm.Tests.Unit.Unix;
using UcloudIm.Unix;

namespace UcloudIm.Tests.Unit.Files;

/// <summary>Copies of real folders (copies as a user, with permissions and resumption, are in the integration tests).</summary>
public sealed class FileCopyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ucim-copy").FullName;

    [Fact]
    public async Task A_tree_is_copied_with_its_data_modes_times_and_links_and_without_its_fifos()
    {
        var from = Directory.CreateDirectory(Path.Combine(_dir, "from")).FullName;
        var big = Path.Combine(from, "big.bin");
        var data = new byte[5 << 20];
        new Random(7).NextBytes(data);
        await File.WriteAllBytesAsync(big, data, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(big, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.SetLastWriteTimeUtc(big, new DateTime(2024, 5, 6, 7, 8, 9, 500, DateTimeKind.Utc));
        Directory.CreateDirectory(Path.Combine(from, "sub"));
        await File.WriteAllTextAsync(Path.Combine(from, "sub", "empty.txt"), "", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(from, "sub", "link"), "/etc/passwd");
        await Fifo.MakeAsync(Path.Combine(from, "sub", "pipe"));

        var copy = new FileCopy(from, Path.Combine(_dir, "to"), mergeRename: false);
        await Task.Run(() => copy.Run(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var to = Path.Combine(_dir, "to");
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(to, "big.bin"), TestContext.Current.CancellationToken));
        Assert.Equal(FileStat.Of(big)!.Value.Mode & 0x1ff, FileStat.Of(Path.Combine(to, "big.bin"))!.Value.Mode & 0x1ff);
        Assert.Equal(FileStat.Of(big)!.Value.ModifiedAtMs, FileStat.Of(Path.Combine(to, "big.bin"))!.Value.ModifiedAtMs);
        Assert.Equal(0, new FileInfo(Path.Combine(to, "sub", "empty.txt")).Length);
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(to, "sub", "link")).LinkTarget);
        Assert.False(Path.Exists(Path.Combine(to, "sub", "pipe")));
        Assert.Equal((2, 0), copy.Result);
        Assert.Empty(Directory.EnumerateFileSystemEntries(to, ".*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task What_someone_left_at_a_temporary_name_is_replaced_never_written_through()
    {
        // In a project folder every member can make any name. A link at the copy's temporary name made
        // File.Copy write the data, as the user copying, into the file the link named (here "victim"); a FIFO
        // there would have kept the copy, a background task resumed after every restart, waiting for ever.
        var victim = Path.Combine(_dir, "victim.txt");
        await File.WriteAllTextAsync(victim, "the user's own", TestContext.Current.CancellationToken);
        foreach (var name in new[] { "a.csv", "b.csv" })
            await File.WriteAllTextAsync(Path.Combine(_dir, name), $"data of {name}\n", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(_dir, ".a-copy.csv.copy-part"), victim);
        await Fifo.MakeAsync(Path.Combine(_dir, ".b-copy.csv.copy-part"));

        foreach (var name in new[] { "a", "b" })
        {
            var copy = new FileCopy(Path.Combine(_dir, $"{name}.csv"), Path.Combine(_dir, $"{name}-copy.csv"), mergeRename: false);
            await Task.Run(() => copy.Run(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken)
                .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            var copied = Path.Combine(_dir, $"{name}-copy.csv");
            Assert.Equal(FileKind.Regular, FileStat.Of(copied)!.Value.Kind);
            Assert.Equal($"data of {name}.csv\n", await File.ReadAllTextAsync(copied, TestContext.Current.CancellationToken));
        }
        Assert.Equal("the user's own", await File.ReadAllTextAsync(victim, TestContext.Current.CancellationToken));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir, ".*"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
