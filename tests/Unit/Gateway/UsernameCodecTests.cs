using UcloudIm.Gateway.Routing;

namespace UcloudIm.Tests.Unit.Gateway;

public sealed class UsernameCodecTests
{
    private const string Awkward = "?¿ø>"; // base64 "P8K/w7g+": both + and /

    [Fact]
    public void Standard_base64_decodes() => Assert.Equal("alice", UsernameCodec.Decode("YWxpY2U="));

    [Fact]
    public void Missing_padding_is_accepted() => Assert.Equal("alice", UsernameCodec.Decode("YWxpY2U"));

    [Fact]
    public void Standard_and_url_safe_alphabets_give_the_same_name()
    {
        var std = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Awkward));
        Assert.Contains('+', std);
        Assert.Contains('/', std);
        var urlSafe = std.Replace('+', '-').Replace('/', '_').TrimEnd('=');
        Assert.Equal(Awkward, UsernameCodec.Decode(std));
        Assert.Equal(Awkward, UsernameCodec.Decode(urlSafe));
    }

    [Fact]
    public void A_url_encoded_value_is_decoded_first()
    {
        var std = UsernameCodec.Encode(Awkward);
        Assert.Equal(Awkward, UsernameCodec.Decode(Uri.EscapeDataString(std)));
    }

    [Fact]
    public void A_plus_that_a_query_string_turned_into_a_space_still_decodes()
    {
        var std = UsernameCodec.Encode(Awkward);
        Assert.Equal(Awkward, UsernameCodec.Decode(std.Replace('+', ' ')));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!!!")]
    [InlineData("A")]
    [InlineData("%zz")]
    public void Garbage_is_not_a_username(string value) => Assert.Null(UsernameCodec.Decode(value));

    [Fact]
    public void Names_with_control_characters_are_refused() =>
        Assert.Null(UsernameCodec.Decode(UsernameCodec.Encode("alice\nbob")));

    [Fact]
    public void Invalid_utf8_is_refused() => Assert.Null(UsernameCodec.Decode(Convert.ToBase64String([0xff, 0xfe, 0x41])));
}
