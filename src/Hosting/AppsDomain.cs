namespace UcloudIm.Hosting;

/// <summary>
/// The domain a provider's interactive applications are served under (<c>gateway.apps.domain</c>): an application's
/// host is exactly one DNS label under it. The gateway and the sandbox's relay both decide with this.
/// </summary>
public sealed class AppsDomain(string domain)
{
    private readonly string _suffix = "." + domain.Trim('.').ToLowerInvariant();

    /// <summary>The host, lower-cased, when it is one label under the domain; null otherwise (the domain itself, or deeper).</summary>
    public string? HostOf(string host)
    {
        var name = host.ToLowerInvariant();
        if (!name.EndsWith(_suffix, StringComparison.Ordinal) || name.Length == _suffix.Length) return null;
        return name.AsSpan(0, name.Length - _suffix.Length).Contains('.') ? null : name;
    }
}
