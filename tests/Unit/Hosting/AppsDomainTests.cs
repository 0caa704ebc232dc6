using UcloudIm.Hosting;

namespace UcloudIm.Tests.Unit.Hosting;

/// <summary>An application is served on exactly one DNS label under the apps domain: not the domain, not deeper.</summary>
public sealed class AppsDomainTests
{
    [Theory]
    [InlineData("app-12-0.apps.example.org", "app-12-0.apps.example.org")]
    [InlineData("APP-12-0.Apps.Example.ORG", "app-12-0.apps.example.org")]
    [InlineData("apps.example.org", null)]
    [InlineData("a.b.apps.example.org", null)]
    [InlineData("app-12-0.apps.example.org.evil.example", null)]
    [InlineData("app-12-0xapps.example.org", null)]
    [InlineData("example.org", null)]
    public void Only_one_label_under_the_domain_is_an_application_host(string host, string? expected)
    {
        Assert.Equal(expected, new AppsDomain("apps.example.org").HostOf(host));
        Assert.Equal(expected, new AppsDomain(".Apps.Example.org.").HostOf(host));
    }
}
