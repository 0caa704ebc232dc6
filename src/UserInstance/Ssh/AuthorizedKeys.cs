using System.Buffers.Binary;
using System.Text;

namespace UcloudIm.UserInstance.Ssh;

/// <summary>A key as UCloud sends it: its id (for error messages), its title, and the OpenSSH public key text.</summary>
internal sealed record UploadedKey(string Id, string Title, string Key);

/// <summary>
/// The lines of an authorized_keys file that this provider manages: one per UCloud key, each ending in
/// <see cref="Marker"/> (the reference implementation's marker, so that its lines are replaced, not doubled).
/// Every other line is the user's own and is kept byte for byte, in its place. Pure, so it is unit tested.
/// </summary>
internal static class AuthorizedKeys
{
    public const string Marker = "ucloud-integration";

    /// <summary>Longer than any real key (a 16384-bit RSA key is about 2.8 KB of base64).</summary>
    public const int MaxKeyLength = 16 * 1024;

    public const int MaxKeys = 1000;

    private const int MaxTitleLength = 100;

    /// <summary>OpenSSH's public key types that UCloud accepts; DSA is gone from OpenSSH, and certificates are not keys.</summary>
    private static readonly string[] Types =
    [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ];

    /// <summary>
    /// The key as "type base64", or null with the reason. Only a bare key is accepted: no options before it
    /// (<c>command=</c>, <c>from=</c>, …), one line, a known type, and base64 whose first field names that same type.
    /// </summary>
    public static string? Normalize(string text, out string? problem)
    {
        problem = null;
        if (text.Length > MaxKeyLength) return Fail($"is longer than {MaxKeyLength} characters", out problem);
        if (text.Any(c => c is '\n' or '\r' or '\0')) return Fail("is not one line", out problem);
        var parts = text.Trim().Split([' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return Fail("is not an OpenSSH public key (type, then base64)", out problem);
        var type = parts[0];
        if (!Types.Contains(type, StringComparer.Ordinal))
            return Fail($"starts with '{Shown(type)}', not a key type ({string.Join(", ", Types)}); options before the key are not accepted", out problem);
        var blob = new byte[parts[1].Length];
        if (!Convert.TryFromBase64String(parts[1], blob, out var length)) return Fail("has a key part that is not base64", out problem);
        if (length < 4) return Fail("has a key part too short to be a key", out problem);
        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (nameLength != (uint)type.Length || length < 4 + type.Length || Encoding.ASCII.GetString(blob, 4, type.Length) != type)
            return Fail($"says it is {type}, but its key part is not", out problem);
        return type + " " + parts[1];
    }

    /// <summary>
    /// The file's new text: the user's own lines as they were, then one line per key (each key once), labelled
    /// with its title. No keys: the managed lines are removed and nothing else changes.
    /// </summary>
    public static string Merge(string existing, IReadOnlyList<(string Key, string Title)> keys)
    {
        var text = new StringBuilder(existing.Length + keys.Count * 128);
        foreach (var line in Lines(existing))
        {
            if (!IsManaged(line)) text.Append(line).Append('\n');
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, title) in keys)
        {
            if (!seen.Add(key)) continue;
            var label = Label(title);
            text.Append(key).Append(' ');
            if (label.Length > 0) text.Append(label).Append(' ');
            text.Append(Marker).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A line this provider wrote: its last word is the marker.</summary>
    public static bool IsManaged(string line)
    {
        var t = line.TrimEnd();
        return t == Marker || t.EndsWith(" " + Marker, StringComparison.Ordinal) || t.EndsWith("\t" + Marker, StringComparison.Ordinal);
    }

    /// <summary>The file's lines without their '\n' (a last line without one included; the empty tail after the last '\n' not).</summary>
    private static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0) { yield return text[start..]; yield break; }
            yield return text[start..end];
            start = end + 1;
        }
    }

    /// <summary>The title as one short comment: printable, single spaces, never the marker's place.</summary>
    private static string Label(string title)
    {
        var words = new string(title.Select(c => char.IsControl(c) || char.IsWhiteSpace(c) ? ' ' : c).ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var label = string.Join(' ', words);
        return label.Length > MaxTitleLength ? label[..MaxTitleLength].TrimEnd() : label;
    }

    private static string Shown(string s) => s.Length > 40 ? s[..40] + "…" : s;

    private static string? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }
}
