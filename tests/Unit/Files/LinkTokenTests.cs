using System.Security.Cryptography;
using UcloudIm.Files;

namespace UcloudIm.Tests.Unit.Files;

public sealed class LinkTokenTests
{
    private static readonly byte[] Alice = RandomNumberGenerator.GetBytes(32), Bob = RandomNumberGenerator.GetBytes(32);
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_link_grants_its_path_to_its_user_until_it_expires()
    {
        var t = LinkToken.Create(Alice, "download", 41231, "/home/alice/a b \"ø\".txt", Now.AddHours(1));
        Assert.Equal("/home/alice/a b \"ø\".txt", LinkToken.Verify(Alice, t, "download", 41231, Now));
        Assert.Contains("expired", Assert.Throws<LinkRefusedException>(() => LinkToken.Verify(Alice, t, "download", 41231, Now.AddHours(2))).Message);
    }

    [Fact]
    public void Another_users_link_is_refused_plainly() =>
        Assert.Equal("This link belongs to another user", Assert.Throws<LinkRefusedException>(() =>
            LinkToken.Verify(Bob, LinkToken.Create(Alice, "download", 41231, "/x", Now.AddHours(1)), "download", 41232, Now)).Message);

    [Fact]
    public void A_link_minted_with_another_key_for_this_user_is_refused() =>
        Assert.Contains("not issued", Assert.Throws<LinkRefusedException>(() =>
            LinkToken.Verify(Alice, LinkToken.Create(Bob, "download", 41231, "/home/alice/secret", Now.AddHours(1)), "download", 41231, Now)).Message);

    [Fact]
    public void A_changed_path_breaks_the_mac()
    {
        var t = LinkToken.Create(Alice, "download", 41231, "/home/alice/a", Now.AddHours(1));
        var payload = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(t.AsSpan(0, t.IndexOf('.'))));
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload.Replace("/home/alice/a", "/etc/shadow"))) + t[t.IndexOf('.')..];
        Assert.Throws<LinkRefusedException>(() => LinkToken.Verify(Alice, forged, "download", 41231, Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("nodot")]
    [InlineData("!!.!!")]
    public void Garbage_is_refused(string? token) =>
        Assert.Throws<LinkRefusedException>(() => LinkToken.Verify(Alice, token, "download", 41231, Now));

    [Fact]
    public void A_link_for_one_purpose_does_not_serve_another() =>
        Assert.Throws<LinkRefusedException>(() =>
            LinkToken.Verify(Alice, LinkToken.Create(Alice, "upload", 41231, "/x", Now.AddHours(1)), "download", 41231, Now));
}
