using UcloudIm.Configuration;

namespace UcloudIm.Tests.Unit.Configuration;

/// <summary>gateway.mode, gateway.tls, gateway.proxy and gateway.apps: what each mode needs and refuses.</summary>
public sealed class NetworkingConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imconf").FullName;

    private const string Provider = """
        provider:
          id: dev
          hosts:
            ucloud: { address: 127.0.0.1, port: 8800, scheme: http }
            self: { address: 127.0.0.1, port: 8889 }
        gateway:

        """;

    private GatewayOptions Load(string gateway)
    {
        File.WriteAllText(Path.Combine(_dir, "config.yml"), Provider + gateway);
        return ImConfig.Load(_dir, ConfigReader.Gateway).Gateway;
    }

    private ConfigException Refused(string gateway) => Assert.Throws<ConfigException>(() => Load(gateway));

    [Fact]
    public void Direct_mode_with_tls_has_documented_defaults_and_paths_in_the_config_dir()
    {
        var g = Load("  tls: {}\n  apps: { domain: Apps.Example.org }\n");
        Assert.Equal(NetworkingMode.Direct, g.Mode);
        Assert.Equal(new TlsOptions("0.0.0.0", 443, Path.Combine(_dir, "tls/fullchain.pem"), Path.Combine(_dir, "tls/privkey.pem"), "0.0.0.0", 80), g.Tls);
        Assert.Equal(new AppOptions("apps.example.org", TimeSpan.FromHours(8), 443), g.Apps);
        Assert.Equal(new Http2Windows(8 << 20, 16 << 20), g.Tls!.Windows);
        Assert.Null(g.Proxy);
    }

    [Fact]
    public void Direct_mode_reads_how_much_a_browser_may_send_ahead()
    {
        Assert.Equal(new Http2Windows(32 << 20, 64 << 20), Load("  tls: { streamWindow: 32MiB, connectionWindow: 64MiB }\n").Tls!.Windows);
    }

    [Fact]
    public void Proxy_mode_reads_the_relay_and_the_token_file()
    {
        var g = Load("  mode: proxy\n  proxy: { relay: \"wss://relay.example.org/relay/tunnel\" }\n");
        Assert.Equal(NetworkingMode.Proxy, g.Mode);
        Assert.Equal(new Uri("wss://relay.example.org/relay/tunnel"), g.Proxy!.Relay);
        Assert.Equal(Path.Combine(_dir, "relay-token"), g.Proxy.TokenFile);
        Assert.Equal(TimeSpan.FromSeconds(30), g.Proxy.MaxBackoff);
        Assert.Equal(10_000, g.Proxy.MaxStreams);
        Assert.Equal(new Http2Windows(8 << 20, 128 << 20), g.Proxy.Windows);
        Assert.Null(g.Apps);
    }

    [Fact]
    public void Proxy_mode_reads_how_many_streams_the_tunnel_carries()
    {
        Assert.Equal(50_000, Load("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", maxStreams: 50000 }\n").Proxy!.MaxStreams);
    }

    [Fact]
    public void Proxy_mode_reads_how_much_the_relay_may_send_ahead_with_its_unit()
    {
        var p = Load("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", streamWindow: 768KiB, connectionWindow: 1GiB }\n").Proxy!;
        Assert.Equal(new Http2Windows(768 << 10, 1 << 30), p.Windows);
    }

    [Fact]
    public void Proxy_mode_serves_applications_on_the_relays_domain_at_its_https_port()
    {
        var g = Load("  mode: proxy\n  proxy: { relay: \"wss://relay.example.org/relay/tunnel\" }\n  apps: { domain: apps.relay.example.org }\n");
        Assert.Equal(new AppOptions("apps.relay.example.org", TimeSpan.FromHours(8), 443), g.Apps);
        Assert.Null(g.Tls);
    }

    [Theory]
    [InlineData("  mode: proxy\n", "gateway.proxy", "is required in proxy mode")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\" }\n  tls: {}\n", "gateway.tls", "no public listener")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\" }\n  listen: { address: 0.0.0.0, port: 8889 }\n", "gateway.listen.address", "must be on loopback")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"ws://r.example.org/t\" }\n", "gateway.proxy.relay", "only allowed to a relay on loopback")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"https://r.example.org/t\" }\n", "gateway.proxy.relay", "not a wss:// URL")]
    [InlineData("  proxy: { relay: \"wss://r.example.org/t\" }\n", "gateway.proxy", "only read in proxy mode")]
    [InlineData("  apps: { domain: apps.example.org }\n", "gateway.apps", "needs gateway.tls")]
    [InlineData("  tls: {}\n  apps: { domain: localhost }\n", "gateway.apps.domain", "at least two labels")]
    [InlineData("  tls: { port: 443, redirectPort: 443 }\n", "gateway.tls.redirectPort", "must differ")]
    [InlineData("  mode: tunnel\n", "gateway.mode", "expected one of")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", maxStreams: 10 }\n", "gateway.proxy.maxStreams", "100")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", streamWindow: 8 }\n", "gateway.proxy.streamWindow", "expected a size such as 768KiB, 16MiB or 1GiB, got '8'")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", streamWindow: 8MB }\n", "gateway.proxy.streamWindow", "expected a size")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", streamWindow: 32KiB }\n", "gateway.proxy.streamWindow", "must be between 64KiB and 1GiB, got 32KiB")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", connectionWindow: 2GiB }\n", "gateway.proxy.connectionWindow", "must be between 64KiB and 1GiB")]
    [InlineData("  mode: proxy\n  proxy: { relay: \"wss://r.example.org/t\", streamWindow: 16MiB, connectionWindow: 8MiB }\n", "gateway.proxy.connectionWindow", "at least streamWindow (16MiB)")]
    [InlineData("  tls: { streamWindow: 32MiB }\n", "gateway.tls.connectionWindow", "at least streamWindow (32MiB)")]
    public void A_setting_the_mode_cannot_use_is_refused_by_name(string gateway, string key, string problem)
    {
        var e = Refused(gateway);
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
