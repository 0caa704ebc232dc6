using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using UcloudIm.Hosting;

namespace UcloudIm.Tests.Unit.Hosting;

/// <summary>gateway.proxy.ca: the file must hold a CA certificate, or the gateway refuses to start and doctor says why.</summary>
public sealed class PrivateCaTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ucim-ca-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static X509Certificate2 SelfSigned(bool ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(ca ? "CN=relay CA" : "CN=relay", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_pem_ca_certificate_loads()
    {
        using var ca = SelfSigned(ca: true);
        using var loaded = PrivateCa.TryLoad(Write("ca.pem", ca.ExportCertificatePem()), out var problem);
        Assert.Null(problem);
        Assert.Equal(ca.Thumbprint, loaded!.Thumbprint);
    }

    [Fact]
    public void A_server_certificate_in_place_of_the_ca_is_refused_by_name()
    {
        using var leaf = SelfSigned(ca: false);
        Assert.Null(PrivateCa.TryLoad(Write("leaf.pem", leaf.ExportCertificatePem()), out var problem));
        Assert.Contains("CN=relay", problem);
        Assert.Contains("not a CA certificate", problem);
    }

    [Theory]
    [InlineData("missing.pem", null)]
    [InlineData("garbage.pem", "this is not a certificate\n")]
    [InlineData("empty.pem", "")]
    public void A_missing_or_unreadable_file_is_a_problem_that_names_it(string name, string? text)
    {
        var path = text is null ? Path.Combine(_dir.FullName, name) : Write(name, text);
        Assert.Null(PrivateCa.TryLoad(path, out var problem));
        Assert.Contains(path, problem);
    }
}
