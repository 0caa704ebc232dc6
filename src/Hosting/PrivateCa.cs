using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace UcloudIm.Hosting;

/// <summary>
/// TLS client options that trust one private CA instead of the system's roots (a relay or provider with its
/// own CA, or the tests' throwaway one), or the system's roots when no CA file is given.
/// </summary>
public static class PrivateCa
{
    public static SslClientAuthenticationOptions ClientOptions(string? caFile)
    {
        var options = new SslClientAuthenticationOptions();
        if (caFile is null) return options;
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(caFile));
        options.CertificateChainPolicy = policy;
        return options;
    }
}
