using System.Net.Sockets;
using System.Text;
using UcloudIm.Unix;

namespace UcloudIm.Tests.Unit.Unix;

/// <summary>SCM_RIGHTS through a real unix socket pair in this process: the kernel, not a fake.</summary>
public sealed class DescriptorPassingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fdpass-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(Socket Sender, Socket Receiver)> PairAsync()
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var receiver = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await receiver.ConnectAsync(new UnixDomainSocketEndPoint(path), Ct);
        return (await listener.AcceptAsync(Ct), receiver);
    }

    /// <summary>Writes a file, opens it with <paramref name="access"/> and sends it with <paramref name="message"/>; closes its own copy.</summary>
    private async Task<string> SendNewFileAsync(Socket sender, string name, string content, FileAccess access, string message)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, content, Ct);
        using var file = File.OpenHandle(path, FileMode.Open, access);
        await DescriptorPassing.SendAsync(sender, Encoding.ASCII.GetBytes(message), file, Ct);
        return path;
    }

    [Fact]
    public async Task The_receiver_reads_the_file_the_sender_opened_even_after_its_name_is_gone()
    {
        var (sender, receiver) = await PairAsync();
        using var _ = sender;
        using var __ = receiver;
        var path = await SendNewFileAsync(sender, "data.txt", "the bytes", FileAccess.ReadWrite, "ok\n");
        File.Delete(path);

        var buffer = new byte[64];
        var (n, received) = await DescriptorPassing.ReceiveAsync(receiver, buffer, Ct);
        Assert.Equal("ok\n", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.NotNull(received);
        using (received)
        {
            Assert.Equal(FileKind.Regular, FileStat.Of(received).Kind);
            Assert.Equal(9, FileStat.Of(received).Size);
            using var stream = new FileStream(received, FileAccess.Read, bufferSize: 0);
            Assert.Equal("the bytes", await new StreamReader(stream).ReadToEndAsync(Ct));
        }
    }

    [Fact]
    public async Task Bytes_without_a_descriptor_come_without_one_and_a_closed_peer_reads_as_zero()
    {
        var (sender, receiver) = await PairAsync();
        using var __ = receiver;
        await DescriptorPassing.SendAsync(sender, "no file\n"u8.ToArray(), null, Ct);
        sender.Dispose();

        var buffer = new byte[64];
        var (n, file) = await DescriptorPassing.ReceiveAsync(receiver, buffer, Ct);
        Assert.Equal("no file\n", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Null(file);
        Assert.Equal(0, (await DescriptorPassing.ReceiveAsync(receiver, buffer, Ct)).Count);
    }

    [Fact]
    public async Task A_read_only_descriptor_cannot_be_written_through_by_the_receiver()
    {
        var (sender, receiver) = await PairAsync();
        using var _ = sender;
        using var __ = receiver;
        var path = await SendNewFileAsync(sender, "ro.txt", "keep", FileAccess.Read, "x");
        var (_, received) = await DescriptorPassing.ReceiveAsync(receiver, new byte[8], Ct);
        using (received)
        {
            Assert.ThrowsAny<Exception>(() => RandomAccess.Write(received!, "gone"u8, 0));
        }
        Assert.Equal("keep", await File.ReadAllTextAsync(path, Ct));
    }

    [Fact]
    public async Task An_empty_message_cannot_carry_a_descriptor() =>
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            var (sender, receiver) = await PairAsync();
            using var _ = sender;
            using var __ = receiver;
            using var file = File.OpenHandle(Path.Combine(_dir, "e"), FileMode.Create, FileAccess.ReadWrite);
            await DescriptorPassing.SendAsync(sender, ReadOnlyMemory<byte>.Empty, file, Ct);
        });
}
