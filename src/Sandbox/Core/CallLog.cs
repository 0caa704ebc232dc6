using System.Collections.Concurrent;

namespace UcloudIm.Sandbox.Core;

/// <summary>One call, either from the provider to Core or from Core to the provider.</summary>
public sealed record LoggedCall(long At, string Direction, string Method, string Path, int Status, string? Username, string? Body);

/// <summary>What went over the wire, newest last, so tests and a curious admin can see the protocol at work.</summary>
public sealed class CallLog
{
    private const int Limit = 10_000;
    private readonly ConcurrentQueue<LoggedCall> _calls = new();

    public void Add(LoggedCall call)
    {
        _calls.Enqueue(call);
        while (_calls.Count > Limit) _calls.TryDequeue(out _);
    }

    public IReadOnlyList<LoggedCall> All() => _calls.ToArray();
}
