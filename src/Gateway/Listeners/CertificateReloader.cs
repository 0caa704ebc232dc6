using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using UcloudIm.Configuration;
using UcloudIm.Unix;

namespace UcloudIm.Gateway.Listeners;

/// <summary>
/// The HTTPS certificate, read again when its files change. Every TLS handshake asks for the current one, and
/// a stat of the two files decides: a renewed certificate (certbot renames new files into place) serves the
/// next connection, while connections already open keep the one they shook hands with. A half-written pair
/// (new certificate, old key) does not replace a working one: the old one stays until both files agree.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class CertificateReloader(TlsOptions tls, ILogger<CertificateReloader> log)
{
    private readonly Lock _lock = new();
    private X509Certificate2? _current;
    private (FileStat? Cert, FileStat? Key) _seen;

    /// <summary>Loads the pair at start; a missing or broken pair is a configuration error, not a later surprise.</summary>
    public void LoadOrThrow()
    {
        lock (_lock)
        {
            _seen = Stamp();
            try
            {
                _current = Load();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new ConfigException("config.yml", "gateway.tls", $"cannot use the certificate {tls.CertificatePath} with the key {tls.KeyPath}: {e.Message}");
            }
            LogLoaded(log, _current.Subject, _current.NotAfter, _current.Thumbprint);
        }
    }

    public X509Certificate2 Current()
    {
        var stamp = Stamp();
        lock (_lock)
        {
            if (_current is not null && stamp == _seen) return _current;
            _seen = stamp;
            try
            {
                var fresh = Load();
                _current = fresh;
                LogLoaded(log, fresh.Subject, fresh.NotAfter, fresh.Thumbprint);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                LogKeptOld(log, tls.CertificatePath, e.Message);
            }
            return _current!;
        }
    }

    private (FileStat?, FileStat?) Stamp() => (StatOrNull(tls.CertificatePath), StatOrNull(tls.KeyPath));

    private static FileStat? StatOrNull(string path)
    {
        try { return FileStat.Of(path, followLinks: true); }
        catch (UnixIOException) { return null; }
    }

    private X509Certificate2 Load()
    {
        var cert = X509Certificate2.CreateFromPemFile(tls.CertificatePath, tls.KeyPath);
        if (!cert.HasPrivateKey) throw new ArgumentException("the key does not belong to the certificate");
        return cert;
    }

    [LoggerMessage(1, LogLevel.Information, "serving the certificate {Subject}, valid until {NotAfter:u} ({Thumbprint})")]
    private static partial void LogLoaded(ILogger logger, string subject, DateTime notAfter, string thumbprint);

    [LoggerMessage(2, LogLevel.Error, "the certificate files {Path} changed but cannot be used, still serving the previous certificate: {Problem}")]
    private static partial void LogKeptOld(ILogger logger, string path, string problem);
}
