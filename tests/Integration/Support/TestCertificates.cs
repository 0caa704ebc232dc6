using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace UcloudIm.Tests.Integration.Support;

/// <summary>A throwaway CA and the certificates it signs for the gateway (127.0.0.1, localhost and the apps domain).</summary>
public sealed class TestCertificates : IDisposable
{
    public const string AppsDomain = "apps.test";

    private readonly X509Certificate2 _ca;

    public TestCertificates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ucloud-im test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
    }

    public string CaPem => _ca.ExportCertificatePem();

    /// <summary>Writes a fresh leaf certificate and its key as PEM; returns its thumbprint.</summary>
    public string WriteLeaf(string certPath, string keyPath, string commonName = "ucloud-im gateway")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        san.AddDnsName("*." + AppsDomain);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var ecdsaCa = _ca.GetECDsaPrivateKey()!;
        using var leaf = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(ecdsaCa), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60), serial);
        // Written next to the target and renamed in, as certbot does: a reader never sees half a file.
        WriteAtomically(certPath, leaf.ExportCertificatePem() + "\n");
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return leaf.Thumbprint;
    }

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".new";
        File.WriteAllText(temp, text);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Shell.Ok("chown", "ucloud-gw:ucloud-gw", temp).GetAwaiter().GetResult();
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() => _ca.Dispose();
}
