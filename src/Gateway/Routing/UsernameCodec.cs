using System.Text;

namespace UcloudIm.Gateway.Routing;

/// <summary>
/// UCloud usernames travel base64-encoded: Core's header uses the standard alphabet, its websocket dials and
/// upload URLs the URL-safe one, and browsers send btoa() output unescaped, so a '+' can arrive as a space.
/// All of these decode to the same name here (the reference gateway matched only one alphabet).
/// </summary>
public static class UsernameCodec
{
    public static string Encode(string username) => Convert.ToBase64String(Encoding.UTF8.GetBytes(username));

    /// <summary>The decoded username, or null when the value is not base64 of a clean UTF-8 name.</summary>
    public static string? Decode(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value;
        if (text.Contains('%'))
        {
            try { text = Uri.UnescapeDataString(text); } catch (UriFormatException) { return null; }
        }
        var b = new StringBuilder(text.Length + 3);
        foreach (var c in text)
        {
            b.Append(c switch { '-' => '+', '_' => '/', ' ' => '+', _ => c });
        }
        var trimmed = b.ToString().TrimEnd('=');
        if (trimmed.Length % 4 == 1) return null;
        var padded = trimmed + new string('=', (4 - trimmed.Length % 4) % 4);
        try
        {
            var bytes = Convert.FromBase64String(padded);
            var name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            if (name.Length == 0 || name.Any(char.IsControl)) return null;
            return name;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }
}
