namespace UcloudIm.Tests.Unit.Unix;

/// <summary>FIFOs for the tests of what must never wait on one (made with mkfifo(1): the product never makes one).</summary>
internal static class Fifo
{
    public static async Task<string> MakeAsync(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }
}
