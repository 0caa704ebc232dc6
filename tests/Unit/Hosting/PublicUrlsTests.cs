using UcloudIm.Hosting;

namespace UcloudIm.Tests.Unit.Hosting;

public sealed class PublicUrlsTests
{
    [Theory]
    [InlineData("https://provider.example.org", "wss://provider.example.org")]
    [InlineData("https://provider.example.org:8443/", "wss://provider.example.org:8443")]
    [InlineData("http://127.0.0.1:8889", "ws://127.0.0.1:8889")]
    [InlineData("HTTPS://Provider", "wss://Provider")]
    public void A_public_address_becomes_the_websocket_base_of_the_same_host(string url, string expected) =>
        Assert.Equal(expected, PublicUrls.WebSocketBase(url));
}
