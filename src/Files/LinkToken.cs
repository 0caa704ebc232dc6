using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UcloudIm.Files;

/// <summary>Why a link was refused, in words for the person who clicked it.</summary>
public sealed class LinkRefusedException(string message) : Exception(message);

/// <summary>
/// Download links that need no server-side state: "&lt;payload&gt;.&lt;mac&gt;", the payload being the purpose, uid,
/// expiry and local path, the MAC an HMAC-SHA256 with the user's own link key. Each user instance holds only
/// its user's key (the server derives it), so one user's instance can neither mint nor accept another's links;
/// and they survive instance restarts, unlike the reference's in-memory sessions.
/// </summary>
public static class LinkToken
{
    public static string Create(byte[] key, string purpose, uint uid, string localPath, DateTimeOffset expires)
    {
        var payload = string.Join('\n', "v1", purpose, uid.ToString(CultureInfo.InvariantCulture),
            expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), localPath);
        var bytes = Encoding.UTF8.GetBytes(payload);
        return Base64Url.EncodeToString(bytes) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, bytes));
    }

    /// <summary>The local path the link grants, or why not. The uid is checked before the MAC, so a link used
    /// through another user's route is told so plainly.</summary>
    public static string Verify(byte[] key, string? token, string purpose, uint uid, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token)) throw new LinkRefusedException("The link has no token");
        var dot = token.IndexOf('.');
        byte[] bytes, mac;
        try
        {
            if (dot <= 0) throw new FormatException();
            bytes = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            mac = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            throw new LinkRefusedException("The link is damaged");
        }
        var parts = Encoding.UTF8.GetString(bytes).Split('\n', 5);
        if (parts.Length != 5 || parts[0] != "v1" || parts[1] != purpose) throw new LinkRefusedException("The link is damaged");
        if (!uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var owner) || owner != uid)
            throw new LinkRefusedException("This link belongs to another user");
        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(key, bytes)))
            throw new LinkRefusedException("The link is damaged or was not issued by this provider");
        if (!long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var exp) || DateTimeOffset.FromUnixTimeSeconds(exp) < now)
            throw new LinkRefusedException("The link has expired; ask for a new one");
        return parts[4];
    }
}
