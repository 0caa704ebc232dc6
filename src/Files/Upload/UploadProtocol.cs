using System.Buffers.Binary;
using System.Text;

namespace UcloudIm.Files.Upload;

/// <summary>The WEBSOCKET_V2 upload protocol's opcodes (big-endian binary frames).</summary>
public enum UploadOp : byte
{
    Ok = 0,
    Checksum = 1,
    Chunk = 2,
    Skip = 3,
    Listing = 4,
    Completed = 5,
    Close = 6,
}

/// <summary>One file the client offers: its id on this connection, size, mtime (ms) and path relative to the session.</summary>
public sealed record ListingEntry(int FileId, long Size, long ModifiedAtMs, string Path);

/// <summary>The client broke the protocol: the connection is closed with this reason.</summary>
public sealed class UploadProtocolException(string message) : Exception(message);

/// <summary>
/// Encoding and decoding of the frames. A LISTING frame carries its opcode once, followed by entries
/// (i32 id, i64 size, i64 modifiedAt, u32 length, UTF-8 path). Other frames hold one or more messages, each
/// with its opcode; CHUNK (i32 id, then data) takes the rest of its frame. Pure, so it is unit tested.
/// </summary>
public static class UploadProtocol
{
    public const int MaxPathBytes = 4096;

    public static List<ListingEntry> ParseListing(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty || frame[0] != (byte)UploadOp.Listing) throw new UploadProtocolException("not a LISTING frame");
        var entries = new List<ListingEntry>();
        var rest = frame[1..];
        while (!rest.IsEmpty)
        {
            if (rest.Length < 24) throw new UploadProtocolException($"LISTING entry {entries.Count + 1} is truncated");
            var id = BinaryPrimitives.ReadInt32BigEndian(rest);
            var size = BinaryPrimitives.ReadInt64BigEndian(rest[4..]);
            var mtime = BinaryPrimitives.ReadInt64BigEndian(rest[12..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(rest[20..]);
            if (size < 0) throw new UploadProtocolException($"LISTING entry {entries.Count + 1} has a negative size");
            if (length > MaxPathBytes || length > rest.Length - 24) throw new UploadProtocolException($"LISTING entry {entries.Count + 1} has a bad path length");
            string path;
            try
            {
                path = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(rest.Slice(24, (int)length));
            }
            catch (DecoderFallbackException)
            {
                throw new UploadProtocolException($"LISTING entry {entries.Count + 1}: the path is not UTF-8");
            }
            entries.Add(new ListingEntry(id, size, mtime, path));
            rest = rest[(24 + (int)length)..];
        }
        return entries;
    }

    public static byte[] Listing(IReadOnlyList<ListingEntry> entries)
    {
        var size = 1 + entries.Sum(e => 24 + Encoding.UTF8.GetByteCount(e.Path));
        var frame = new byte[size];
        frame[0] = (byte)UploadOp.Listing;
        var at = 1;
        foreach (var e in entries)
        {
            var span = frame.AsSpan(at);
            BinaryPrimitives.WriteInt32BigEndian(span, e.FileId);
            BinaryPrimitives.WriteInt64BigEndian(span[4..], e.Size);
            BinaryPrimitives.WriteInt64BigEndian(span[12..], e.ModifiedAtMs);
            var n = Encoding.UTF8.GetBytes(e.Path, span[24..]);
            BinaryPrimitives.WriteUInt32BigEndian(span[20..], (uint)n);
            at += 24 + n;
        }
        return frame;
    }

    /// <summary>Appends an OK, SKIP or COMPLETED message (opcode + i32) to <paramref name="frame"/>.</summary>
    public static void Append(List<byte> frame, UploadOp op, int value)
    {
        Span<byte> b = stackalloc byte[5];
        b[0] = (byte)op;
        BinaryPrimitives.WriteInt32BigEndian(b[1..], value);
        foreach (var x in b) frame.Add(x);
    }

    /// <summary>The header of a CHUNK frame for <paramref name="fileId"/>; the data follows it in the same frame.</summary>
    public static void WriteChunkHeader(Span<byte> into, int fileId)
    {
        into[0] = (byte)UploadOp.Chunk;
        BinaryPrimitives.WriteInt32BigEndian(into[1..], fileId);
    }

    /// <summary>The messages of a server reply frame: (op, value) pairs.</summary>
    public static List<(UploadOp Op, int Value)> ParseReplies(ReadOnlySpan<byte> frame)
    {
        var result = new List<(UploadOp, int)>();
        while (!frame.IsEmpty)
        {
            if (frame.Length < 5) throw new UploadProtocolException("truncated reply");
            var op = (UploadOp)frame[0];
            if (op is not (UploadOp.Ok or UploadOp.Skip or UploadOp.Completed)) throw new UploadProtocolException($"unexpected opcode {frame[0]} from the server");
            result.Add((op, BinaryPrimitives.ReadInt32BigEndian(frame[1..])));
            frame = frame[5..];
        }
        return result;
    }

    /// <summary>
    /// The components of a listing path, relative to the session. Absolute paths, empty, '.' or '..'
    /// components, NUL and control characters are refused, never joined.
    /// </summary>
    public static string[] SplitPath(string path)
    {
        if (path.Length == 0) throw new UploadProtocolException("a listing path is empty");
        if (path[0] == '/') throw new UploadProtocolException("a listing path is absolute");
        foreach (var c in path)
        {
            if (c < 0x20 || c == 0x7f) throw new UploadProtocolException("a listing path contains NUL or a control character");
        }
        var parts = path.Split('/');
        foreach (var p in parts)
        {
            if (p.Length == 0 || p is "." or "..") throw new UploadProtocolException($"a listing path has an empty, '.' or '..' component");
            if (Encoding.UTF8.GetByteCount(p) > 255) throw new UploadProtocolException("a listing path has a name longer than 255 bytes");
        }
        return parts;
    }
}
