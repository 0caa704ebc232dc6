using System.Globalization;
using System.Net;

namespace UcloudIm.Tests.Integration.Support;

/// <summary>The TCP sockets a process listens on, read from /proc (its fds, matched against /proc/net/tcp{,6}).</summary>
public static class Listeners
{
    public static IReadOnlyList<IPEndPoint> Of(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
            catch (IOException) { }
        }
        var result = new List<IPEndPoint>();
        foreach (var (table, v6) in new[] { ("/proc/net/tcp", false), ("/proc/net/tcp6", true) })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f[3] != "0A" || !inodes.Contains(f[9])) continue; // 0A: LISTEN
                var (hex, port) = (f[1].Split(':')[0], int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                var bytes = Convert.FromHexString(hex);
                // The kernel prints each 32-bit word in host (little-endian) order.
                for (var i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
                result.Add(new IPEndPoint(new IPAddress(bytes), port));
            }
        }
        return result;
    }

    /// <summary>The process and all its descendants.</summary>
    public static IEnumerable<int> Tree(int pid)
    {
        yield return pid;
        foreach (var task in Directory.Exists($"/proc/{pid}/task") ? Directory.EnumerateDirectories($"/proc/{pid}/task") : [])
        {
            string children;
            try { children = File.ReadAllText(Path.Combine(task, "children")); }
            catch (IOException) { continue; }
            foreach (var c in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var d in Tree(int.Parse(c, CultureInfo.InvariantCulture))) yield return d;
            }
        }
    }
}
