namespace UcloudIm.Hosting;

/// <summary>The provider's public address as the base of WebSocket URLs (uploads, VNC): https → wss, http → ws.</summary>
public static class PublicUrls
{
    public static string WebSocketBase(string publicUrl)
    {
        var url = publicUrl.TrimEnd('/');
        return url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? "wss://" + url[8..]
            : "ws://" + url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
    }
}
