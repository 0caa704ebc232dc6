using System.Text;
using UcloudIm.Server.Instances;

namespace UcloudIm.Tests.Unit.Server;

public sealed class StderrTailTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ucim-log").FullName;

    [Fact]
    public async Task A_chatty_instance_cannot_grow_its_log_past_the_cap()
    {
        var line = new string('x', 1023);
        var text = new StringBuilder();
        for (var i = 0; i < 40_000; i++) text.Append(line).Append('\n'); // about 40 MiB
        text.Append("the last words\n");
        var log = Path.Combine(_dir, "alice.log");
        var tail = new StderrTail(log);
        await tail.PumpAsync(new StreamReader(new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()))));
        Assert.Equal("the last words", tail.LastLine);
        Assert.True(new FileInfo(log).Length <= StderrTail.MaxLogBytes);
        Assert.True(new FileInfo(log + ".1").Length <= StderrTail.MaxLogBytes);
        Assert.EndsWith("the last words\n", File.ReadAllText(log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
