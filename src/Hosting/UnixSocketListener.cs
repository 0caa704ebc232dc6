using System.Runtime.Versioning;

namespace UcloudIm.Hosting;

/// <summary>Preparing a path for a unix-socket listener.</summary>
[SupportedOSPlatform("linux")]
public static class UnixSocketListener
{
    /// <summary>Removes a stale socket left by a crashed process; refuses to remove anything that is not a socket.</summary>
    public static void RemoveStale(string path)
    {
        var stat = Unix.FileStat.Of(path);
        if (stat is null) return;
        if (stat.Value.Kind != Unix.FileKind.Other)
            throw new IOException($"{path} exists and is not a socket; refusing to replace it");
        File.Delete(path);
    }
}
