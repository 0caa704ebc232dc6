namespace UcloudIm.Configuration;

/// <summary><c>gateway:</c> in config.yml: the public listener and how it treats requests.</summary>
public sealed record GatewayOptions(
    string ListenAddress,
    int ListenPort,
    string User,
    bool HoldUntilReady,
    TimeSpan HoldTimeout,
    string TokenIssuer,
    TimeSpan ClockSkew)
{
    // holdTimeout stays under Core's 5 s timeout for provider calls: Core must get our 449, not its own timeout.
    public static readonly GatewayOptions Defaults = new("127.0.0.1", 8889, "ucloud-gw", true, TimeSpan.FromSeconds(4), "cloud.sdu.dk", TimeSpan.FromSeconds(30));

    internal static GatewayOptions Read(YamlSection? s)
    {
        if (s is null) return Defaults;
        var listen = s.Section("listen");
        var address = listen?.String("address") ?? Defaults.ListenAddress;
        var port = listen?.Int("port", Defaults.ListenPort, 1, 65535) ?? Defaults.ListenPort;
        listen?.Done();
        var o = new GatewayOptions(
            address,
            port,
            s.String("user") ?? Defaults.User,
            s.Bool("holdUntilReady", Defaults.HoldUntilReady),
            s.Duration("holdTimeout", Defaults.HoldTimeout, TimeSpan.FromSeconds(1)),
            s.String("tokenIssuer") ?? Defaults.TokenIssuer,
            s.Duration("clockSkew", Defaults.ClockSkew));
        s.Done();
        return o;
    }
}
