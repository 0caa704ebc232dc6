using UcloudIm.Files;

namespace UcloudIm.Tests.Unit.Files;

public sealed class FileOperationsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ucim-ops").FullName;

    private string P(string rel) => Path.Join(_root, rel);

    private void Write(string rel, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(P(rel))!);
        File.WriteAllText(P(rel), text);
    }

    [Theory]
    [InlineData("report.pdf", "report(1).pdf")]
    [InlineData("archive.tar.gz", "archive.tar(1).gz")]
    [InlineData(".bashrc", ".bashrc(1)")]
    [InlineData("Makefile", "Makefile(1)")]
    public void Renamed_copies_number_the_name_before_its_extension(string name, string first) =>
        Assert.Equal(first, Path.GetFileName(WriteConflict.Candidates("/x/" + name).First()));

    [Theory]
    [InlineData("RENAME", WriteConflictPolicy.Rename)]
    [InlineData("merge_rename", WriteConflictPolicy.MergeRename)]
    [InlineData(null, WriteConflictPolicy.Reject)]
    public void Policies_parse(string? text, WriteConflictPolicy policy) => Assert.Equal(policy, WriteConflict.Parse(text));

    [Fact]
    public void An_unknown_policy_is_refused() => Assert.Throws<InvalidPathException>(() => WriteConflict.Parse("OVERWRITE"));

    [Fact]
    public void Folders_are_made_and_conflicts_follow_the_policy()
    {
        Assert.Equal(P("a"), FileOperations.CreateFolder(P("a"), WriteConflictPolicy.Reject));
        Assert.Throws<ConflictException>(() => FileOperations.CreateFolder(P("a"), WriteConflictPolicy.Reject));
        Assert.Equal(P("a(1)"), FileOperations.CreateFolder(P("a"), WriteConflictPolicy.Rename));
        Assert.Equal(P("a(2)"), FileOperations.CreateFolder(P("a"), WriteConflictPolicy.Rename));
        Assert.Equal(P("a"), FileOperations.CreateFolder(P("a"), WriteConflictPolicy.MergeRename));
        Write("f", "x");
        Assert.Equal(P("f"), FileOperations.CreateFolder(P("f"), WriteConflictPolicy.Replace));
        Assert.True(Directory.Exists(P("f")));
    }

    [Fact]
    public void Moving_onto_an_existing_file_follows_the_policy()
    {
        Write("src1", "one"); Write("src2", "two"); Write("src3", "three"); Write("dst", "old");
        Assert.Throws<ConflictException>(() => FileOperations.Move(P("src1"), P("dst"), WriteConflictPolicy.Reject));
        Assert.Equal(("one", "old"), (File.ReadAllText(P("src1")), File.ReadAllText(P("dst"))));
        Assert.Equal(P("dst(1)"), FileOperations.Move(P("src1"), P("dst"), WriteConflictPolicy.Rename));
        Assert.Equal(P("dst"), FileOperations.Move(P("src2"), P("dst"), WriteConflictPolicy.Replace));
        Assert.Equal("two", File.ReadAllText(P("dst")));
        Assert.Equal(P("dst(2)"), FileOperations.Move(P("src3"), P("dst"), WriteConflictPolicy.MergeRename));
        Assert.False(File.Exists(P("src1")) || File.Exists(P("src2")) || File.Exists(P("src3")));
    }

    [Fact]
    public void Merge_rename_merges_folders_and_renames_clashing_files()
    {
        Write("from/a.txt", "new a"); Write("from/sub/b.txt", "b"); Write("from/only.txt", "o");
        Write("to/a.txt", "old a"); Write("to/sub/c.txt", "c");
        Assert.Equal(P("to"), FileOperations.Move(P("from"), P("to"), WriteConflictPolicy.MergeRename));
        Assert.Equal(("old a", "new a"), (File.ReadAllText(P("to/a.txt")), File.ReadAllText(P("to/a(1).txt"))));
        Assert.True(File.Exists(P("to/sub/b.txt")) && File.Exists(P("to/sub/c.txt")) && File.Exists(P("to/only.txt")));
        Assert.False(Directory.Exists(P("from")));
    }

    [Fact]
    public async Task A_folder_swapped_for_a_link_while_folders_merge_never_receives_the_moved_files()
    {
        // Another member of a project folder flips to/sub and a link to elsewhere, atomically and without pause,
        // while folders are merged into to: each merge must move its file into the real sub, or fail, never follow the link.
        Directory.CreateDirectory(P("to/sub"));
        Directory.CreateDirectory(P("elsewhere"));
        File.CreateSymbolicLink(P("to/link"), P("elsewhere"));
        using var stop = new CancellationTokenSource();
        var swaps = 0;
        var swapper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(0, renameat2(AtFdCwd, P("to/sub"), AtFdCwd, P("to/link"), RenameExchange));
                swaps++;
            }
        }, TestContext.Current.CancellationToken);
        var merged = 0;
        for (var i = 0; i < 300; i++)
        {
            Write($"from{i}/sub/b{i}.txt", "b");
            try
            {
                FileOperations.Move(P($"from{i}"), P("to"), WriteConflictPolicy.MergeRename);
                merged++;
            }
            catch (IOException)
            {
                // The swap was seen: refused, with the file left where it was.
            }
        }
        await stop.CancelAsync();
        await swapper;
        Assert.True(swaps > 300 && merged > 0, $"{swaps} swaps and {merged} merges: the race was not run");
        Assert.Empty(Directory.EnumerateFileSystemEntries(P("elsewhere")));
    }

    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [Fact]
    public void Replace_replaces_a_non_empty_folder()
    {
        Write("from/new.txt", "n"); Write("to/old.txt", "o");
        FileOperations.Move(P("from"), P("to"), WriteConflictPolicy.Replace);
        Assert.True(File.Exists(P("to/new.txt")));
        Assert.False(File.Exists(P("to/old.txt")));
    }

    [Fact]
    public void A_folder_cannot_move_into_itself() 
    {
        Directory.CreateDirectory(P("d/e"));
        Assert.Throws<InvalidPathException>(() => FileOperations.Move(P("d"), P("d/e/d"), WriteConflictPolicy.Rename));
    }

    [Fact]
    public void Moving_something_missing_says_so() =>
        Assert.Throws<FileNotFoundException>(() => FileOperations.Move(P("ghost"), P("x"), WriteConflictPolicy.Rename));

    [Fact]
    public void Trash_moves_into_the_drives_trash_under_a_free_name()
    {
        Write("notes.txt", "1");
        Assert.Equal(P("Trash/notes.txt"), FileOperations.Trash(P("notes.txt"), _root));
        Write("notes.txt", "2");
        Assert.Equal(P("Trash/notes(1).txt"), FileOperations.Trash(P("notes.txt"), _root));
        Assert.Throws<InvalidPathException>(() => FileOperations.Trash(_root, _root));
        Assert.Throws<InvalidPathException>(() => FileOperations.Trash(P("Trash"), _root));
    }

    [Fact]
    public void Racing_renames_never_overwrite_each_other()
    {
        for (var i = 0; i < 64; i++) Write($"in/{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(P("out"));
        Parallel.For(0, 64, i => FileOperations.Move(P($"in/{i}"), P("out/same"), WriteConflictPolicy.Rename));
        var contents = Directory.GetFiles(P("out")).Select(File.ReadAllText).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 64).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order().ToList(), contents);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
