using System.Runtime.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Gateway.Auth;
using UcloudIm.Gateway.Forwarding;
using UcloudIm.Gateway.Listeners;
using UcloudIm.Gateway.Tunnel;
using UcloudIm.Gateway.Routing;
using UcloudIm.Gateway.ServerLink;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Gateway;

[SupportedOSPlatform("linux")]
public static partial class GatewayHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        ImConfig config;
        System.Security.Cryptography.RSA key;
        try
        {
            config = ImConfig.Load(HostArgs.ConfigDir(args), ConfigReader.Gateway);
            key = CoreKey.Load(config.Directory);
        }
        catch (Exception e) when (e is ConfigException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"ucloud-im-gateway: invalid configuration: {e.Message}");
            return 2;
        }
        var refusal = CheckIdentity(config);
        if (refusal is not null)
        {
            await Console.Error.WriteLineAsync($"ucloud-im-gateway: refusing to start: {refusal}");
            return 2;
        }
        WebApplication app;
        try
        {
            app = Build(config, key, WebApplication.CreateSlimBuilder(ImHostDefaults.Options()));
        }
        catch (ConfigException e)
        {
            // The certificate pair is read while building: a missing or broken one is a configuration error too.
            await Console.Error.WriteLineAsync($"ucloud-im-gateway: invalid configuration: {e.Message}");
            return 2;
        }
        await app.RunAsync();
        return 0;
    }

    /// <summary>The gateway runs as its own unprivileged account, the one the server and instances trust.</summary>
    private static string? CheckIdentity(ImConfig config)
    {
        var uid = ProcessIdentity.EffectiveUid;
        if (uid == 0) return "never run the public listener as root; run it as " + config.Gateway.User;
        var expected = UserDatabase.FindByName(config.Gateway.User);
        if (expected is null) return $"the account '{config.Gateway.User}' (gateway.user) does not exist";
        if (expected.Uid != uid) return $"running as uid {uid}, but gateway.user is {config.Gateway.User} (uid {expected.Uid}), the only uid instances accept";
        return null;
    }

    /// <summary>The server's socket must be served by the account that owns the IPC directory.</summary>
    private static uint ServerUid(ImConfig config) =>
        FileStat.Of(config.Provider.IpcDirectory, followLinks: true)?.Uid
            ?? throw new ConfigException("config.yml", "provider.ipc.directory", $"{config.Provider.IpcDirectory} does not exist");

    public static WebApplication Build(ImConfig config, System.Security.Cryptography.RSA key, WebApplicationBuilder builder)
    {
        builder.Host.UseSystemd();
        builder.Logging.QuietFrameworkLogs();
        var serverInvoker = ServerClient.CreateInvoker(config.Provider.ServerSocket, ServerUid(config));
        builder.Services.AddSingleton(config.Gateway);
        LargeBlockMemoryPool.UseForKestrel(builder.Services);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new Router(config.Provider.Id, config.Ssh.InstallKeys));
        builder.Services.AddSingleton(sp => new CoreTokenValidator(key, config.Gateway.TokenIssuer, config.Gateway.ClockSkew, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(new ServerClient(serverInvoker));
        builder.Services.AddSingleton(serverInvoker);
        builder.Services.AddSingleton<InstanceInvokers>();
        builder.Services.AddSingleton<InFlightRequests>();
        builder.Services.AddHostedService(sp => new ActivityReporter(sp.GetRequiredService<InFlightRequests>(), sp.GetRequiredService<ServerClient>(),
            config.Instances.IdleTimeout, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ActivityReporter>>()));
        builder.Services.AddSingleton(sp => new Apps.AppProxy(config.Gateway.Apps, config.Provider.Id, sp.GetRequiredService<ServerClient>(),
            sp.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Apps.AppProxy>>()));
        builder.Services.AddSingleton<Downloads.FileDownloads>();
        builder.Services.AddSingleton<GatewayPipeline>();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            k.Limits.MaxRequestHeadersTotalSize = 1 << 20;
            k.Limits.MaxRequestBodySize = null; // uploads stream through; instances set their own limits
            k.Listen(System.Net.IPAddress.Parse(config.Gateway.ListenAddress), config.Gateway.ListenPort);
            if (config.Gateway.Tls is { } tls) ListenTls(k, tls);
            if (config.Gateway.Proxy is { } proxy)
            {
                k.Listen(new TunnelEndPoint(proxy.Relay), lo => lo.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
                // Every request of every user is one stream of the one tunnel, and terminals, followed jobs and
                // application sockets stay open for hours. Kestrel's limit is server-wide, but proxy mode's only
                // other listener is the loopback one.
                k.Limits.Http2.MaxStreamsPerConnection = proxy.MaxStreams;
            }
            // Request bodies (uploads) cross a distance only as fast as these windows let the client (a browser,
            // or the relay) send ahead per round trip. Server-wide too; the other listener is the loopback one.
            if ((config.Gateway.Proxy?.Windows ?? config.Gateway.Tls?.Windows) is { } windows)
            {
                k.Limits.Http2.InitialStreamWindowSize = windows.Stream;
                k.Limits.Http2.InitialConnectionWindowSize = windows.Connection;
            }
        });
        if (config.Gateway.Tls is not null)
        {
            builder.Services.AddSingleton(config.Gateway.Tls);
            builder.Services.AddSingleton<CertificateReloader>();
        }
        if (config.Gateway.Proxy is { } p)
        {
            // Checked here, so that a missing or wrong CA file stops the start with the key's name, not an unhandled exception.
            if (p.CaFile is { } caFile)
            {
                using var ca = PrivateCa.TryLoad(caFile, out var problem);
                if (ca is null) throw new ConfigException("config.yml", "gateway.proxy.ca", problem!);
            }
            builder.Services.AddSingleton(p);
            builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, TunnelListenerFactory>();
        }
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway");
        if (config.Gateway.Tls is not null) app.Services.GetRequiredService<CertificateReloader>().LoadOrThrow();
        app.UseWireErrors((ctx, e) => LogUnexpected(log, ctx.Request.Path, e));
        if (config.Gateway.Tls is { } t) app.Use(HttpsRedirect.Middleware(t, config.Provider.SelfPublic));
        if (config.Gateway.Proxy is not null) app.Use(RelayScheme.Middleware);
        var pipeline = app.Services.GetRequiredService<GatewayPipeline>();
        app.Run(pipeline.InvokeAsync);
        LogListening(log, config.Gateway.ListenAddress, config.Gateway.ListenPort, config.Provider.Id);
        if (config.Gateway.Tls is { } https) LogListeningTls(log, https.Address, https.Port, https.RedirectPort);
        if (config.Gateway.Proxy is { } relay) LogProxyMode(log, relay.Relay.GetLeftPart(UriPartial.Path));
        return app;
    }

    /// <summary>HTTPS (HTTP/1.1 and HTTP/2 by ALPN) with the reloading certificate, and the plain port that only redirects.</summary>
    private static void ListenTls(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions k, TlsOptions tls)
    {
        k.Listen(System.Net.IPAddress.Parse(tls.Address), tls.Port, lo =>
        {
            lo.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
            var reloader = lo.ApplicationServices.GetRequiredService<CertificateReloader>();
            lo.UseHttps(h => h.ServerCertificateSelector = (_, _) => reloader.Current());
        });
        if (tls.RedirectPort != 0)
            k.Listen(System.Net.IPAddress.Parse(tls.RedirectAddress), tls.RedirectPort, lo => lo.Use(HttpsRedirect.MarkConnection));
    }

    [LoggerMessage(1, LogLevel.Information, "gateway listening on {Address}:{Port} for provider {ProviderId}")]
    private static partial void LogListening(ILogger logger, string address, int port, string providerId);

    [LoggerMessage(3, LogLevel.Information, "HTTPS on {Address}:{Port}; plain HTTP on port {RedirectPort} only redirects (0: off)")]
    private static partial void LogListeningTls(ILogger logger, string address, int port, int redirectPort);

    [LoggerMessage(4, LogLevel.Information, "proxy mode: all traffic comes through the tunnel to {Relay}")]
    private static partial void LogProxyMode(ILogger logger, string relay);

    [LoggerMessage(2, LogLevel.Error, "unexpected error serving {Path}")]
    private static partial void LogUnexpected(ILogger logger, Microsoft.AspNetCore.Http.PathString path, Exception e);
}
