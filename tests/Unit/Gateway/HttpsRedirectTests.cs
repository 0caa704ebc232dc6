using UcloudIm.Configuration;
using UcloudIm.Gateway.Listeners;

namespace UcloudIm.Tests.Unit.Gateway;

public sealed class HttpsRedirectTests
{
    private static readonly TlsOptions Tls = new("0.0.0.0", 443, "c", "k", "0.0.0.0", 80);

    [Theory]
    [InlineData("provider.example.org", "/ucloud/x?a=1", "https://provider.example.org/ucloud/x?a=1")]
    [InlineData("app-1-0.apps.example.org", "/", "https://app-1-0.apps.example.org/")]
    [InlineData("evil.example.org/x", "/", "https://provider.example.org/")]
    [InlineData("", "/p", "https://provider.example.org/p")]
    public void The_redirect_keeps_host_path_and_query_and_never_a_broken_host(string host, string pathAndQuery, string expected)
    {
        var q = pathAndQuery.IndexOf('?');
        var (path, query) = q < 0 ? (pathAndQuery, "") : (pathAndQuery[..q], pathAndQuery[q..]);
        Assert.Equal(expected, HttpsRedirect.Target(host, path, query, Tls, new HostAddress("provider.example.org", 443, "https")));
    }

    [Fact]
    public void A_public_port_other_than_443_is_kept() =>
        Assert.Equal("https://h.example.org:8443/", HttpsRedirect.Target("h.example.org", "/", "", Tls with { Port = 8443 }, new HostAddress("h.example.org", 8889, "http")));
}
