using System.Security.Cryptography;

namespace UcloudIm.Configuration;

/// <summary>
/// Core's public key for this provider. Core hands it out as base64 DER (SubjectPublicKeyInfo) without PEM
/// armour; a PEM file is accepted too.
/// </summary>
public static class CoreKey
{
    public static readonly string[] FileNames = ["ucloud_key.pub", "ucloud_crt.pem"];

    public static RSA Load(string configDirectory)
    {
        var path = FileNames.Select(n => Path.Combine(configDirectory, n)).FirstOrDefault(File.Exists)
            ?? throw new ConfigException("ucloud_key.pub", "", $"Core's public key is missing from {configDirectory}");
        return Parse(Path.GetFileName(path), File.ReadAllText(path));
    }

    public static RSA Parse(string fileName, string text)
    {
        var rsa = RSA.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                rsa.ImportFromPem(text);
            }
            else
            {
                var der = Convert.FromBase64String(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
                rsa.ImportSubjectPublicKeyInfo(der, out _);
            }
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            throw new ConfigException(fileName, "", $"is not an RSA public key: {e.Message}");
        }
        if (rsa.KeySize < 2048)
        {
            var size = rsa.KeySize;
            rsa.Dispose();
            throw new ConfigException(fileName, "", $"RSA key of {size} bits is too weak (at least 2048)");
        }
        return rsa;
    }

    /// <summary>The format Core writes: base64 DER SubjectPublicKeyInfo, one line.</summary>
    public static string Export(RSA key) => Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
}
