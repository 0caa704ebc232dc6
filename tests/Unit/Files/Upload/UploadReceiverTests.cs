using System.Security.Cryptography;
using UcloudIm.Files;
using UcloudIm.Files.Upload;

namespace UcloudIm.Tests.Unit.Files.Upload;

/// <summary>The receiver against a real folder (as whoever runs the tests; the OS's checks are integration tests).</summary>
public sealed class UploadReceiverTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ucim-upload").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("ucim-outside").FullName;

    private string P(string rel) => Path.Join(_root, rel);

    private UploadReceiver Folder(string name = "up", string tag = "t1")
    {
        var session = UploadSession.Create(UploadKind.Folder, WriteConflictPolicy.MergeRename, "d", "d\n" + _root, "/d/" + name);
        return new UploadReceiver(session, tag);
    }

    private static List<(UploadOp, int)> Replies(UploadReceiver r) => r.TakeReply() is { } f ? UploadProtocol.ParseReplies(f) : [];

    [Fact]
    public void A_file_appears_under_its_name_only_when_complete_with_the_clients_mtime()
    {
        var data = RandomNumberGenerator.GetBytes(300_000);
        using var r = Folder();
        r.OnListing([new ListingEntry(1, data.Length, 1_600_000_000_123, "sub/f.bin")]);
        Assert.Equal([(UploadOp.Ok, 1)], Replies(r));
        r.OnChunk(1, data.AsSpan(0, 100_000));
        Assert.False(File.Exists(P("up/sub/f.bin")));
        Assert.Single(Directory.GetFiles(P("up/sub"), ".f.bin.upload-t1"));
        r.OnChunk(1, data.AsSpan(100_000));
        Assert.Equal([(UploadOp.Completed, 1)], Replies(r));
        Assert.Equal(data, File.ReadAllBytes(P("up/sub/f.bin")));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_600_000_000_123).UtcDateTime, File.GetLastWriteTimeUtc(P("up/sub/f.bin")));
        Assert.Single(Directory.GetFileSystemEntries(P("up/sub")));
    }

    [Fact]
    public void A_file_already_there_with_the_same_size_and_mtime_is_skipped_which_resumes_an_upload()
    {
        using (var first = Folder())
        {
            first.OnListing([new ListingEntry(1, 3, 1_000_000, "a"), new ListingEntry(2, 3, 1_000_000, "b")]);
            first.TakeReply();
            first.OnChunk(1, "abc"u8);
            first.OnChunk(2, "x"u8); // dropped after one byte of b
        }
        Assert.Equal(["a"], Directory.GetFileSystemEntries(P("up")).Select(Path.GetFileName));
        using var again = Folder();
        again.OnListing([new ListingEntry(5, 3, 1_000_000, "a"), new ListingEntry(6, 3, 1_000_000, "b"), new ListingEntry(7, 3, 2_000_000, "a2")]);
        Assert.Equal([(UploadOp.Skip, 5), (UploadOp.Ok, 6), (UploadOp.Ok, 7), (UploadOp.Completed, 1)], Replies(again));
    }

    [Fact]
    public void A_changed_file_replaces_its_namesake_inside_an_uploaded_folder()
    {
        Directory.CreateDirectory(P("up"));
        File.WriteAllText(P("up/a"), "old");
        using var r = Folder();
        r.OnListing([new ListingEntry(1, 3, 5_000, "a")]);
        r.OnChunk(1, "new"u8);
        Assert.Equal("new", File.ReadAllText(P("up/a")));
    }

    [Fact]
    public void A_single_file_under_RENAME_gets_a_free_name_and_keeps_data_if_its_name_is_taken_meanwhile()
    {
        File.WriteAllText(P("f.txt"), "there");
        var session = UploadSession.Create(UploadKind.File, WriteConflictPolicy.Rename, "d", "d\n" + _root, "/d/f.txt");
        Assert.Equal(["f(1).txt"], session.Below);
        using var r = new UploadReceiver(session, "t");
        r.OnListing([new ListingEntry(0, 2, 0, "whatever-the-client-calls-it")]);
        File.WriteAllText(P("f(1).txt"), "raced");
        r.OnChunk(0, "hi"u8);
        Assert.Equal("raced", File.ReadAllText(P("f(1).txt")));
        Assert.Equal("hi", File.ReadAllText(P("f(1)(1).txt")));
    }

    [Fact]
    public void Conflicts_at_the_start_follow_the_policy()
    {
        Directory.CreateDirectory(P("dir"));
        File.WriteAllText(P("f"), "x");
        Assert.Throws<ConflictException>(() => UploadSession.Create(UploadKind.File, WriteConflictPolicy.Reject, "d", "d\n" + _root, "/d/f"));
        Assert.Throws<ConflictException>(() => UploadSession.Create(UploadKind.File, WriteConflictPolicy.Replace, "d", "d\n" + _root, "/d/dir"));
        Assert.Throws<ConflictException>(() => UploadSession.Create(UploadKind.Folder, WriteConflictPolicy.Reject, "d", "d\n" + _root, "/d/dir"));
        Assert.Equal(["dir(1)"], UploadSession.Create(UploadKind.Folder, WriteConflictPolicy.Rename, "d", "d\n" + _root, "/d/dir").Below);
        Assert.Equal(["dir"], UploadSession.Create(UploadKind.Folder, WriteConflictPolicy.MergeRename, "d", "d\n" + _root, "/d/dir").Below);
        Assert.True(Directory.Exists(P("dir(1)")));
    }

    [Fact]
    public void A_dropped_connection_leaves_no_partial_file_anywhere()
    {
        using (var r = Folder())
        {
            r.OnListing([new ListingEntry(1, 10, 0, "x/y")]);
            r.OnChunk(1, "12345"u8);
        }
        Assert.Empty(Directory.GetFiles(P("up"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Protocol_violations_are_refused()
    {
        using var r = Folder();
        r.OnListing([new ListingEntry(1, 2, 0, "a")]);
        Assert.Throws<UploadProtocolException>(() => r.OnListing([new ListingEntry(1, 2, 0, "b")]));
        Assert.Throws<UploadProtocolException>(() => r.OnChunk(9, "x"u8));
        Assert.Throws<UploadProtocolException>(() => r.OnChunk(1, "toolong"u8));
        Assert.Throws<UploadProtocolException>(() => r.OnListing([new ListingEntry(3, 2, 0, "../escape")]));
    }

    [Fact]
    public void A_symbolic_link_inside_the_session_is_never_followed()
    {
        Directory.CreateDirectory(P("up"));
        File.CreateSymbolicLink(P("up/out"), _outside);
        using var r = Folder();
        // Refused when listed: the walk to the file's folder meets the link.
        var e = Assert.Throws<UploadFailedException>(() => r.OnListing([new ListingEntry(1, 2, 0, "out/f")]));
        Assert.Contains("symbolic link", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_outside));
    }

    [Fact]
    public void A_link_swapped_in_between_listing_and_data_does_not_redirect_the_write()
    {
        Directory.CreateDirectory(P("up/sub"));
        using var r = Folder();
        r.OnListing([new ListingEntry(1, 4, 0, "sub/f")]);
        Directory.Move(P("up/sub"), P("up/moved"));
        File.CreateSymbolicLink(P("up/sub"), _outside);
        Assert.Throws<UploadFailedException>(() => r.OnChunk(1, "data"u8));
        Assert.Empty(Directory.GetFileSystemEntries(_outside));
    }

    [Fact]
    public void A_link_swapped_in_while_a_file_is_being_written_does_not_redirect_it()
    {
        Directory.CreateDirectory(P("up/sub"));
        using var r = Folder();
        r.OnListing([new ListingEntry(1, 4, 0, "sub/f")]);
        r.OnChunk(1, "da"u8);
        Directory.Move(P("up/sub"), P("up/moved"));
        File.CreateSymbolicLink(P("up/sub"), _outside);
        r.OnChunk(1, "ta"u8);
        Assert.Empty(Directory.GetFileSystemEntries(_outside));
        Assert.Equal("data", File.ReadAllText(P("up/moved/f")));
    }

    [Fact]
    public void A_session_folder_through_a_link_is_refused_at_the_start()
    {
        File.CreateSymbolicLink(P("link"), _outside);
        var e = Assert.Throws<UcloudIm.Unix.UnixIOException>(() => UploadSession.Create(UploadKind.File, WriteConflictPolicy.Rename, "d", "d\n" + _root, "/d/link/f"));
        Assert.Equal(UcloudIm.Unix.OpenDirectory.ELOOP, e.Errno);
    }

    [Fact]
    public void Two_connections_never_write_the_same_file()
    {
        using var a = Folder(tag: "a");
        using var b = Folder(tag: "b");
        a.OnListing([new ListingEntry(1, 4, 0, "f")]);
        b.OnListing([new ListingEntry(1, 4, 0, "f")]);
        a.OnChunk(1, "ab"u8);
        Assert.Throws<UploadFailedException>(() => b.OnChunk(1, "cd"u8));
    }

    public void Dispose()
    {
        Directory.Delete(_root, true);
        Directory.Delete(_outside, true);
    }
}
