using System.Net;

namespace UcloudIm.Configuration;

/// <summary>How the provider is reached: <c>direct</c> (its own listeners) or <c>proxy</c> (one outbound tunnel to a relay).</summary>
public enum NetworkingMode { Direct, Proxy }

/// <summary>
/// How many bytes of request bodies (uploads, mostly) an HTTP/2 client may send ahead of the gateway: per request
/// (<see cref="Stream"/>, which bounds one upload socket at about 0.4 x this per round trip) and for its whole
/// connection (<see cref="Connection"/>, the most the gateway buffers for it). Kestrel's own 768 KiB and 1 MiB
/// let a file cross a 20 ms link at 17 MiB/s (bench/wan-link.sh). Browsers open their WebSockets as HTTP/2
/// streams where offered (direct mode), and the relay sends every request down the tunnel as one (proxy mode).
/// </summary>
public sealed record Http2Windows(int Stream, int Connection)
{
    /// <summary>Direct mode: one browser's connection, whose parallel upload sockets share its window.</summary>
    public static readonly Http2Windows BrowserDefaults = new(8 << 20, 16 << 20);

    /// <summary>
    /// Proxy mode: the one tunnel of all users. Sixteen streams' windows, so that uploads whose instance stopped
    /// reading (a hung file system) hold back the others, Core's calls included, only when sixteen of them do.
    /// </summary>
    public static readonly Http2Windows TunnelDefaults = new(8 << 20, 128 << 20);

    internal static Http2Windows Read(YamlSection s, Http2Windows defaults)
    {
        // HTTP/2 allows windows from 64 KiB (65 535 bytes, its initial one) to 2 GiB - 1.
        var stream = (int)s.Size("streamWindow", defaults.Stream, 64 << 10, 1 << 30);
        var connection = (int)s.Size("connectionWindow", defaults.Connection, 64 << 10, 1 << 30);
        if (connection < stream)
            throw s.Error("connectionWindow", $"must be at least streamWindow ({YamlSection.FormatSize(stream)}): it is what all requests together may send ahead, one included");
        return new Http2Windows(stream, connection);
    }
}

/// <summary><c>gateway.tls</c>: the HTTPS listener of direct mode, and the plain-HTTP listener that only redirects to it.</summary>
public sealed record TlsOptions(string Address, int Port, string CertificatePath, string KeyPath, string RedirectAddress, int RedirectPort)
{
    public Http2Windows Windows { get; init; } = Http2Windows.BrowserDefaults;
}

/// <summary>
/// <c>gateway.proxy</c>: the relay the gateway dials out to, the credential it presents, how many requests
/// (HTTP/2 streams: every open WebSocket, download and call of every user) the tunnel carries at once, and how
/// much of their bodies the relay may send ahead (<see cref="Windows"/>).
/// </summary>
public sealed record ProxyOptions(Uri Relay, string TokenFile, string? CaFile, TimeSpan MaxBackoff, int MaxStreams = ProxyOptions.DefaultMaxStreams)
{
    /// <summary>HTTP/2's usual 100 would make the 101st request wait, Core's calls included, while terminals stay open.</summary>
    public const int DefaultMaxStreams = 10_000;

    public Http2Windows Windows { get; init; } = Http2Windows.TunnelDefaults;
}

/// <summary>
/// <c>gateway.apps</c>: interactive applications on <c>app-&lt;job&gt;-&lt;rank&gt;.&lt;domain&gt;</c>. In direct mode the
/// gateway serves that domain itself; in proxy mode the relay does, and sends its requests down the tunnel.
/// </summary>
public sealed record AppOptions(string Domain, TimeSpan SessionLifetime, int PublicPort);

/// <summary><c>gateway:</c> in config.yml: the listeners and how the gateway treats requests.</summary>
public sealed record GatewayOptions(
    string ListenAddress,
    int ListenPort,
    string User,
    bool HoldUntilReady,
    TimeSpan HoldTimeout,
    string TokenIssuer,
    TimeSpan ClockSkew,
    NetworkingMode Mode = NetworkingMode.Direct,
    TlsOptions? Tls = null,
    ProxyOptions? Proxy = null,
    AppOptions? Apps = null)
{
    // holdTimeout stays under Core's 5 s timeout for provider calls: Core must get our 449, not its own timeout.
    public static readonly GatewayOptions Defaults = new("127.0.0.1", 8889, "ucloud-gw", true, TimeSpan.FromSeconds(4), "cloud.sdu.dk", TimeSpan.FromSeconds(30));

    internal static GatewayOptions Read(YamlSection? s, string configDirectory)
    {
        if (s is null) return Defaults;
        var listen = s.Section("listen");
        var address = listen?.String("address") ?? Defaults.ListenAddress;
        var port = listen?.Int("port", Defaults.ListenPort, 1, 65535) ?? Defaults.ListenPort;
        listen?.Done();
        if (!IPAddress.TryParse(address, out var listenIp)) throw s.Error("listen.address", $"'{address}' is not an IP address");
        var mode = s.Enum("mode", NetworkingMode.Direct);
        var tls = s.Section("tls") is { } t ? ReadTls(t, configDirectory) : null;
        var proxy = s.Section("proxy") is { } p ? ReadProxy(p, configDirectory) : null;
        var apps = s.Section("apps") is { } a ? ReadApps(a, tls) : null;
        if (mode == NetworkingMode.Proxy)
        {
            if (proxy is null) throw s.Error("proxy", "is required in proxy mode (gateway.proxy.relay)");
            if (tls is not null) throw s.Error("tls", "proxy mode opens no public listener; remove gateway.tls or use mode: direct");
            if (!IPAddress.IsLoopback(listenIp)) throw s.Error("listen.address", $"proxy mode has no public listener, so the plain listener must be on loopback, not {address}");
        }
        else if (proxy is not null) throw s.Error("proxy", "is only read in proxy mode (gateway.mode: proxy)");
        else if (apps is not null && tls is null) throw s.Error("apps", "needs gateway.tls: application sessions are Secure cookies");
        var o = new GatewayOptions(
            address,
            port,
            s.String("user") ?? Defaults.User,
            s.Bool("holdUntilReady", Defaults.HoldUntilReady),
            s.Duration("holdTimeout", Defaults.HoldTimeout, TimeSpan.FromSeconds(1)),
            s.String("tokenIssuer") ?? Defaults.TokenIssuer,
            s.Duration("clockSkew", Defaults.ClockSkew),
            mode, tls, proxy, apps);
        s.Done();
        return o;
    }

    private static TlsOptions ReadTls(YamlSection s, string configDirectory)
    {
        var address = s.String("address") ?? "0.0.0.0";
        if (!IPAddress.TryParse(address, out _)) throw s.Error("address", $"'{address}' is not an IP address");
        var port = s.Int("port", 443, 1, 65535);
        var cert = InDirectory(configDirectory, s.String("certificate") ?? "tls/fullchain.pem");
        var key = InDirectory(configDirectory, s.String("key") ?? "tls/privkey.pem");
        var redirectAddress = s.String("redirectAddress") ?? address;
        if (!IPAddress.TryParse(redirectAddress, out _)) throw s.Error("redirectAddress", $"'{redirectAddress}' is not an IP address");
        var redirectPort = s.Int("redirectPort", 80, 0, 65535);
        if (redirectPort == port) throw s.Error("redirectPort", "must differ from the HTTPS port (0 turns the redirect listener off)");
        var windows = Http2Windows.Read(s, Http2Windows.BrowserDefaults);
        s.Done();
        return new TlsOptions(address, port, cert, key, redirectAddress, redirectPort) { Windows = windows };
    }

    private static ProxyOptions ReadProxy(YamlSection s, string configDirectory)
    {
        var text = s.RequiredString("relay");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var relay) || relay.Scheme is not ("wss" or "ws"))
            throw s.Error("relay", $"'{text}' is not a wss:// URL");
        // Every token and file crosses the tunnel: unencrypted only to a relay on this machine.
        if (relay.Scheme == "ws" && !relay.IsLoopback)
            throw s.Error("relay", "plain ws:// is only allowed to a relay on loopback; use wss://");
        var tokenFile = InDirectory(configDirectory, s.String("tokenFile") ?? "relay-token");
        var ca = s.String("ca") is { } c ? InDirectory(configDirectory, c) : null;
        var backoff = s.Duration("maxBackoff", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        var maxStreams = s.Int("maxStreams", ProxyOptions.DefaultMaxStreams, 100, 1_000_000);
        var windows = Http2Windows.Read(s, Http2Windows.TunnelDefaults);
        s.Done();
        return new ProxyOptions(relay, tokenFile, ca, backoff, maxStreams) { Windows = windows };
    }

    private static AppOptions ReadApps(YamlSection s, TlsOptions? tls)
    {
        var domain = s.RequiredString("domain").Trim('.').ToLowerInvariant();
        if (Uri.CheckHostName(domain) != UriHostNameType.Dns || !domain.Contains('.'))
            throw s.Error("domain", $"'{domain}' is not a DNS name with at least two labels");
        var lifetime = s.Duration("sessionLifetime", TimeSpan.FromHours(8), TimeSpan.FromSeconds(5));
        var publicPort = s.Int("publicPort", tls?.Port ?? 443, 1, 65535);
        s.Done();
        return new AppOptions(domain, lifetime, publicPort);
    }

    private static string InDirectory(string directory, string path) => Path.IsPathFullyQualified(path) ? path : Path.Combine(directory, path);
}
