using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace UcloudIm.Hosting;

/// <summary>
/// TLS client options that trust one private CA instead of the system's roots (a relay or provider with its
/// own CA, or the tests' throwaway one), or the system's roots when no CA file is given.
/// </summary>
public static class PrivateCa
{
    /// <summary>The CA certificate in <paramref name="caFile"/> (PEM or DER), or why it cannot be used.</summary>
    public static X509Certificate2? TryLoad(string caFile, out string? problem)
    {
        problem = null;
        if (!File.Exists(caFile))
        {
            problem = $"the CA certificate {caFile} does not exist";
            return null;
        }
        try
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
            if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
                problem = $"{caFile} holds '{ca.Subject}', which is not a CA certificate";
            return problem is null ? ca : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            problem = $"cannot read the CA certificate {caFile}: {e.Message}";
            return null;
        }
    }

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
