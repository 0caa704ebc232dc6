using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace UcloudIm.Hosting;

/// <summary>
/// Kestrel's socket transport receives into blocks of its memory pool, 4 KiB each: a 1 GiB upload was a
/// quarter of a million recv calls in the gateway and as many again in the instance, each a wake-up and a
/// thread hand-off. With 64 KiB blocks a busy socket is read 64 KiB at a time. An idle connection holds no
/// block (Kestrel waits for data before it rents one), so the larger blocks cost memory only while data moves.
/// </summary>
public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    /// <summary>Blocks kept for reuse; more are garbage once returned (64 × 64 KiB = 4 MiB kept at most).</summary>
    private const int Retained = 64;

    private readonly ConcurrentQueue<byte[]> _free = new();
    private int _freeCount;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize) throw new ArgumentOutOfRangeException(nameof(minBufferSize), $"at most {BlockSize} bytes per block");
        if (_free.TryDequeue(out var array)) Interlocked.Decrement(ref _freeCount);
        // Pinned once, so socket calls need not pin it each time.
        return new Block(this, array ?? GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true));
    }

    private void Return(byte[] array)
    {
        if (Interlocked.Increment(ref _freeCount) <= Retained) _free.Enqueue(array);
        else Interlocked.Decrement(ref _freeCount);
    }

    protected override void Dispose(bool disposing) => _free.Clear();

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } a) pool.Return(a);
        }
    }

    private sealed class Factory : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
    }

    /// <summary>Kestrel's transports take the last factory registered: this one, whatever order the host adds them in.</summary>
    public static void UseForKestrel(IServiceCollection services) => services.AddSingleton<IMemoryPoolFactory<byte>, Factory>();
}
