using UcloudIm.Hosting;

namespace UcloudIm.Tests.Unit.Hosting;

public sealed class EndMarkedStreamTests
{
    private static async Task<byte[]> ReadAllAsync(Stream framed)
    {
        using var received = new MemoryStream();
        await EndMarkedStream.ReadAsync(framed, (data, _) => { received.Write(data.Span); return ValueTask.CompletedTask; }, CancellationToken.None);
        return received.ToArray();
    }

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1, 511, 512 })]
    [InlineData(new[] { EndMarkedStream.MaxFrame - 3, 7, 3 * EndMarkedStream.MaxFrame + 5 })]
    public async Task What_is_written_is_read_back_whole_in_order(int[] writes)
    {
        var rnd = new Random(writes.Length);
        var sent = new List<byte>();
        using var wire = new MemoryStream();
        var writer = new EndMarkedWriteStream(wire);
        foreach (var n in writes)
        {
            var piece = new byte[n];
            rnd.NextBytes(piece);
            sent.AddRange(piece);
            if (n % 2 == 0) await writer.WriteAsync(piece, TestContext.Current.CancellationToken); else writer.Write(piece);
        }
        await writer.CompleteAsync(TestContext.Current.CancellationToken);
        wire.Position = 0;
        Assert.Equal(sent.ToArray(), await ReadAllAsync(wire));
    }

    [Fact]
    public async Task A_stream_that_ends_without_its_end_mark_is_an_error_wherever_it_is_cut()
    {
        using var wire = new MemoryStream();
        var writer = new EndMarkedWriteStream(wire);
        await writer.WriteAsync(new byte[10_000], TestContext.Current.CancellationToken);
        await writer.CompleteAsync(TestContext.Current.CancellationToken);
        var whole = wire.ToArray();
        // Cut in a header, in the data, and just before the end mark.
        foreach (var cut in new[] { 2, 4, 5_000, whole.Length - 4, whole.Length - 1 })
            await Assert.ThrowsAsync<EndOfStreamException>(() => ReadAllAsync(new MemoryStream(whole[..cut])));
    }

    [Fact]
    public async Task A_frame_longer_than_the_limit_is_refused()
    {
        var header = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, EndMarkedStream.MaxFrame + 1);
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(new MemoryStream(header)));
    }
}
