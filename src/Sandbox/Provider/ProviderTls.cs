using System.Net.Security;

namespace UcloudIm.Sandbox.Provider;

/// <summary>
/// How the sandbox (and the tests) trust the provider's HTTPS: the system's roots, or one private CA given
/// on the command line (a provider trying the module with its own CA, or the tests' throwaway one).
/// Every connection to the provider, plain calls and WebSockets, is made from these handlers.
/// </summary>
public sealed class ProviderTls(string? caFile)
{
    public SocketsHttpHandler CreateHandler() => new()
    {
        SslOptions = Options(),
        UseCookies = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>For <c>ClientWebSocket.ConnectAsync(uri, invoker, ct)</c>.</summary>
    public HttpMessageInvoker CreateInvoker() => new(CreateHandler(), disposeHandler: true);

    public SslClientAuthenticationOptions Options() => UcloudIm.Hosting.PrivateCa.ClientOptions(caFile);
}
