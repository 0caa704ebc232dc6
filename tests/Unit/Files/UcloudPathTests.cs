using UcloudIm.Files;

namespace UcloudIm.Tests.Unit.Files;

public sealed class UcloudPathTests
{
    private const string Drive = "dev-alice\n/home/alice";

    [Theory]
    [InlineData("/7", "/home/alice")]
    [InlineData("/7/", "/home/alice")]
    [InlineData("/7/a/b.txt", "/home/alice/a/b.txt")]
    [InlineData("//7//a///b", "/home/alice/a/b")]
    [InlineData("/7/ünïcode dir/x y", "/home/alice/ünïcode dir/x y")]
    [InlineData("/7/...", "/home/alice/...")]
    public void Paths_inside_the_drive_map_below_its_root(string path, string local) =>
        Assert.Equal(local, UcloudPath.ToLocal("7", Drive, path));

    [Theory]
    [InlineData("/7/..")]
    [InlineData("/7/a/../../etc")]
    [InlineData("/7/./a")]
    public void Dot_components_are_refused_not_normalised(string path) =>
        Assert.Throws<InvalidPathException>(() => UcloudPath.ToLocal("7", Drive, path));

    [Theory]
    [InlineData("/7/a\0b")]
    [InlineData("/7/a\nb")]
    [InlineData("/7/a\u007fb")]
    public void Control_characters_are_refused(string path) =>
        Assert.Throws<InvalidPathException>(() => UcloudPath.ToLocal("7", Drive, path));

    [Theory]
    [InlineData("")]
    [InlineData("7/a")]
    [InlineData("/8/a")]
    [InlineData("/")]
    [InlineData("/70/a")]
    public void Paths_of_another_drive_or_relative_paths_are_refused(string path) =>
        Assert.Throws<InvalidPathException>(() => UcloudPath.ToLocal("7", Drive, path));

    [Theory]
    [InlineData(null)]
    [InlineData("dev-alice")]
    [InlineData("dev-alice\nrelative/path")]
    [InlineData("dev-alice\n/home/../etc")]
    public void A_drive_without_a_clean_absolute_root_is_refused(string? providerGeneratedId) =>
        Assert.Throws<InvalidPathException>(() => UcloudPath.DriveRoot(providerGeneratedId));

    [Fact]
    public void A_drive_rooted_at_slash_maps_without_a_double_slash() =>
        Assert.Equal("/srv/x", UcloudPath.ToLocal("1", "p-x\n/", "/1/srv/x"));
}
