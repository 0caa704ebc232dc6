using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using UcloudIm.Hosting;

namespace UcloudIm.UserInstance.Terminals;

/// <summary>Where a terminal opens: a folder on the frontend, or (with a Slurm id) a step inside that job on node <c>Rank</c>.</summary>
internal sealed record TerminalTarget(string Directory, long? SlurmId = null, int Rank = 0);

/// <summary>
/// Terminals opened but not yet connected. The browser gets a random session identifier (256 bits) from
/// <c>interactiveSession</c> or <c>openTerminalInFolder</c> and connects the terminal's WebSocket with it: once,
/// within <see cref="OpenWithin"/>. Only its hash is kept, in this instance's memory: an identifier is good for
/// this user's instance alone (another user's route reaches another process that never heard of it).
/// </summary>
internal sealed class TerminalSessions(TimeProvider time)
{
    public static readonly TimeSpan OpenWithin = TimeSpan.FromMinutes(5);

    /// <summary>Terminals running at once in one instance: a bound on processes and threads (a reader each).</summary>
    public const int MaxLive = 32;

    private const int MaxPending = 256;

    private readonly ConcurrentDictionary<string, (TerminalTarget Target, DateTimeOffset Until)> _pending = new(StringComparer.Ordinal);
    private int _live;

    public string Create(TerminalTarget target)
    {
        var now = time.GetUtcNow();
        foreach (var (key, value) in _pending)
        {
            if (value.Until <= now) _pending.TryRemove(key, out _);
        }
        if (_pending.Count >= MaxPending) throw new ImException(429, "Too many terminals are waiting to be opened; try again in a few minutes", "TOO_MANY_REQUESTS");
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _pending[Hash(token)] = (target, now + OpenWithin);
        return token;
    }

    /// <summary>The target, if the identifier is known and unexpired; it cannot be used again either way.</summary>
    public TerminalTarget? Take(string token) =>
        token.Length is > 0 and <= 128 && _pending.TryRemove(Hash(token), out var entry) && entry.Until > time.GetUtcNow() ? entry.Target : null;

    /// <summary>Counts a terminal as running; false when <see cref="MaxLive"/> already run.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _live) <= MaxLive) return true;
        Interlocked.Decrement(ref _live);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _live);

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
