using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace UcloudIm.Files;

/// <summary>
/// The opaque <c>next</c> of a listing: the sort key and name of the last entry sent. The next page starts
/// strictly after it, so an entry that exists throughout is listed exactly once even while the folder
/// changes between pages (an offset would skip or repeat entries).
/// </summary>
internal readonly record struct BrowseCursor(SortField Sort, bool Descending, long Key, string Name)
{
    private const string Version = "v2";

    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
        string.Join('|', Version, ((int)Sort).ToString(CultureInfo.InvariantCulture), Descending ? "d" : "a", Key.ToString(CultureInfo.InvariantCulture), Name)));

    /// <summary>Null for the first page; a cursor of another sort order or version is refused.</summary>
    public static BrowseCursor? Decode(string? next, SortField sort, bool descending)
    {
        if (string.IsNullOrEmpty(next)) return null;
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(next)).Split('|', 5);
            if (parts.Length == 5 && parts[0] == Version
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s == (int)sort
                && parts[2] == (descending ? "d" : "a")
                && long.TryParse(parts[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var key))
                return new BrowseCursor(sort, descending, key, parts[4]);
        }
        catch (FormatException) { }
        throw new InvalidPathException("The 'next' token does not belong to this listing (another sort order, or not issued here)");
    }
}
