using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UcloudIm.Server.Instances;

/// <summary>
/// Per-user keys for download links: HMAC(master, uid). The master key lives in the server's database and
/// never leaves the server; each instance gets only its own user's key.
/// </summary>
internal sealed class LinkKeys(byte[] master)
{
    public const string MasterKeyName = "link-master";

    public byte[] For(uint uid) => HMACSHA256.HashData(master, Encoding.ASCII.GetBytes("links:" + uid.ToString(CultureInfo.InvariantCulture)));
}
