using UcloudIm.Files;

namespace UcloudIm.Tests.Unit.Files;

public sealed class AccessDenialTests
{
    [Theory]
    [InlineData(0b111_111_000 | 0x400, "rwxrws---")]
    [InlineData(0b111_101_101, "rwxr-xr-x")]
    [InlineData(0b110_100_000 | 0x400, "rw-r-S---")]
    [InlineData(0b111_111_111 | 0x200, "rwxrwxrwt")]
    [InlineData(0b110_110_110 | 0x200 | 0x800, "rwSrw-rwT")]
    [InlineData(0x4000 | 0b111_000_000, "rwx------")] // the file-type bits of st_mode are not permissions
    public void Modes_are_shown_as_ls_shows_them(int mode, string expected) => Assert.Equal(expected, AccessDenial.Symbolic(mode));
}
