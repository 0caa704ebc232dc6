using UcloudIm.Files.Upload;

namespace UcloudIm.Tests.Unit.Files.Upload;

public sealed class UploadProtocolTests
{
    [Fact]
    public void A_listing_round_trips_with_non_ascii_paths()
    {
        var entries = new List<ListingEntry> { new(0, 0, 1, "a.txt"), new(7, long.MaxValue, -5, "dir/sub/résumé ✓.pdf"), new(int.MaxValue, 3, 1_700_000_000_000, "x") };
        Assert.Equal(entries, UploadProtocol.ParseListing(UploadProtocol.Listing(entries)));
    }

    [Fact]
    public void A_listing_frame_has_its_opcode_once_and_big_endian_fields()
    {
        var frame = UploadProtocol.Listing([new ListingEntry(1, 2, 3, "ab")]);
        Assert.Equal(new byte[] { 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2, (byte)'a', (byte)'b' }, frame);
    }

    [Theory]
    [InlineData(new byte[] { 4, 0, 0, 0, 1 })] // truncated entry
    [InlineData(new byte[] { 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 9, (byte)'a' })] // length past the end
    [InlineData(new byte[] { 4, 0, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0 })] // negative size
    [InlineData(new byte[] { 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 0xff })] // not UTF-8
    [InlineData(new byte[] { 2, 0, 0, 0, 1 })] // not a listing
    public void Damaged_listings_are_refused(byte[] frame) =>
        Assert.Throws<UploadProtocolException>(() => UploadProtocol.ParseListing(frame));

    [Fact]
    public void Replies_hold_several_messages_each_with_its_opcode()
    {
        var frame = new List<byte>();
        UploadProtocol.Append(frame, UploadOp.Ok, 1);
        UploadProtocol.Append(frame, UploadOp.Skip, 2);
        UploadProtocol.Append(frame, UploadOp.Completed, 1);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 3, 0, 0, 0, 2, 5, 0, 0, 0, 1 }, frame.ToArray());
        Assert.Equal([(UploadOp.Ok, 1), (UploadOp.Skip, 2), (UploadOp.Completed, 1)], UploadProtocol.ParseReplies(frame.ToArray()));
    }

    [Theory]
    [InlineData("a/b/c.txt", new[] { "a", "b", "c.txt" })]
    [InlineData("..hidden", new[] { "..hidden" })]
    [InlineData("back\\slash", new[] { "back\\slash" })]
    public void Relative_paths_split_into_components(string path, string[] parts) => Assert.Equal(parts, UploadProtocol.SplitPath(path));

    [Theory]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("a/./b")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("a\u007fb")]
    public void Escaping_or_odd_paths_are_refused_not_joined(string path) =>
        Assert.Throws<UploadProtocolException>(() => UploadProtocol.SplitPath(path));

    [Fact]
    public void A_name_longer_than_255_bytes_is_refused() =>
        Assert.Throws<UploadProtocolException>(() => UploadProtocol.SplitPath(new string('é', 128)));

    [Fact]
    public void A_session_survives_its_encoding_and_a_damaged_one_is_refused()
    {
        var s = new UploadSession(UploadKind.Folder, UcloudIm.Files.WriteConflictPolicy.MergeRename, "/home/alice", ["a", "b c"]);
        var back = UploadSession.Decode(s.Encode());
        Assert.Equal((s.Kind, s.Policy, s.DriveRoot), (back.Kind, back.Policy, back.DriveRoot));
        Assert.Equal(s.Below, back.Below);
        Assert.Empty(UploadSession.Decode(new UploadSession(UploadKind.Folder, default, "/r", []).Encode()).Below);
        Assert.Throws<UcloudIm.Files.LinkRefusedException>(() => UploadSession.Decode("File\nRename\n/r\n"));
        Assert.Throws<UcloudIm.Files.LinkRefusedException>(() => UploadSession.Decode("Tape\nRename\n/r\nx"));
    }
}
